/// Where the reader's problems go: thrown at once by default; under `--keep-going` collected (the first
/// ``limit`` of them, then only counted) while the reader skips the damaged buffer or record.
struct ProblemLog {
    static let limit = 1000

    let keepGoing: Bool
    private(set) var problems: [ConversionError] = []
    private(set) var unlisted: UInt64 = 0

    init(keepGoing: Bool) { self.keepGoing = keepGoing }

    /// Throws `problem` unless the reader keeps going, in which case it is recorded and the caller skips.
    mutating func report(_ problem: ConversionError) throws(ConversionError) {
        guard keepGoing else { throw problem }
        if problems.count < Self.limit {
            problems.append(problem)
        } else {
            unlisted += 1
        }
    }

    /// Reports `other`'s problems after those reported here, as if they had been reported to this log.
    mutating func append(_ other: ProblemLog) throws(ConversionError) {
        for problem in other.problems { try report(problem) }
        unlisted += other.unlisted
    }

    /// Every listed problem, and one line counting those not listed.
    var all: [ConversionError] {
        guard unlisted > 0 else { return problems }
        return problems + [ConversionError(.malformedInput, "\(unlisted) more problems were skipped but not listed")]
    }
}
