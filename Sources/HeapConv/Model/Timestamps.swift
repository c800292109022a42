/// Conversions between UTC nanoseconds since the Unix epoch, ISO 8601 text and Windows FILETIME, in
/// integer arithmetic so that no nanosecond is lost.
public enum Timestamps {
    /// FILETIME ticks (100 ns since 1601-01-01) at the Unix epoch.
    public static let fileTimeUnixEpoch: Int64 = 116_444_736_000_000_000

    /// Unix nanoseconds of a FILETIME value (exact: FILETIME is in 100 ns units). Returns `nil` when the result
    /// does not fit in an `Int64`.
    public static func unixNanoseconds(fileTime: Int64) -> Int64? {
        let (ns, overflow) = (fileTime &- fileTimeUnixEpoch).multipliedReportingOverflow(by: 100)
        return overflow || (fileTime < 0) ? nil : ns
    }

    /// `2019-04-17T18:40:00.000000010Z`: UTC, as many fraction digits as needed in groups of three, none
    /// when whole.
    public static func iso8601(_ ns: Int64) -> String {
        let (secs, frac) = floorDivMod(ns, 1_000_000_000)
        let (days, secOfDay) = floorDivMod(secs, 86_400)
        let (y, m, d) = civilFromDays(days)
        var text = pad(y, 4) + "-" + pad(m, 2) + "-" + pad(d, 2) + "T"
            + pad(secOfDay / 3600, 2) + ":" + pad(secOfDay / 60 % 60, 2) + ":" + pad(secOfDay % 60, 2)
        if frac != 0 {
            var digits = pad(frac, 9)
            while digits.hasSuffix("000") { digits.removeLast(3) }
            text += "." + digits
        }
        return text + "Z"
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction][Z|±HH:MM]` (a space may stand for `T`; no zone means UTC) into
    /// Unix nanoseconds. Fractions beyond nanoseconds are an error rather than silently rounded.
    public static func parseISO8601(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        var i = 0
        func number(_ width: Int) -> Int64? {
            guard i + width <= b.count else { return nil }
            var v: Int64 = 0
            for k in i..<i + width {
                guard b[k] >= 0x30 && b[k] <= 0x39 else { return nil }
                v = v * 10 + Int64(b[k] - 0x30)
            }
            i += width
            return v
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < b.count, b[i] == c else { return false }
            i += 1
            return true
        }
        guard let y = number(4), expect(UInt8(ascii: "-")), let mo = number(2), expect(UInt8(ascii: "-")),
              let d = number(2) else { return nil }
        guard (1...12).contains(mo), (1...31).contains(d) else { return nil }
        var seconds = daysFromCivil(y, mo, d) * 86_400
        var fraction: Int64 = 0
        if i < b.count {
            guard b[i] == UInt8(ascii: "T") || b[i] == UInt8(ascii: " ") else { return nil }
            i += 1
            guard let h = number(2), expect(UInt8(ascii: ":")), let mi = number(2) else { return nil }
            var s: Int64 = 0
            if expect(UInt8(ascii: ":")) {
                guard let sec = number(2) else { return nil }
                s = sec
                if expect(UInt8(ascii: ".")) || expect(UInt8(ascii: ",")) {
                    var digits = 0
                    while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                        guard digits < 9 else { return nil }
                        fraction = fraction * 10 + Int64(b[i] - 0x30)
                        digits += 1
                        i += 1
                    }
                    guard digits > 0 else { return nil }
                    for _ in digits..<9 { fraction *= 10 }
                }
            }
            guard h < 24, mi < 60, s < 61 else { return nil }
            seconds += h * 3600 + mi * 60 + s
            if expect(UInt8(ascii: "Z")) || expect(UInt8(ascii: "z")) {
            } else if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
                let sign: Int64 = b[i] == UInt8(ascii: "+") ? 1 : -1
                i += 1
                guard let zh = number(2) else { return nil }
                _ = expect(UInt8(ascii: ":"))
                guard let zm = number(2) else { return nil }
                seconds -= sign * (zh * 3600 + zm * 60)
            }
        }
        guard i == b.count else { return nil }
        let (ns, o1) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let (total, o2) = ns.addingReportingOverflow(fraction)
        return o1 || o2 ? nil : total
    }

    /// Parses a duration such as `1.5s`, `250ms`, `10us`, `500ns`, `2m` or `1h` into nanoseconds, exactly.
    public static func parseDuration(_ text: String) -> Int64? {
        let units: [(String, Int64)] = [("ns", 1), ("us", 1_000), ("µs", 1_000), ("ms", 1_000_000),
                                        ("s", 1_000_000_000), ("m", 60_000_000_000), ("h", 3_600_000_000_000)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            let number = text.dropLast(suffix.count)
            if suffix == "s", number.hasSuffix("m") || number.hasSuffix("n") || number.hasSuffix("u") || number.hasSuffix("µ") { continue }
            return scaledDecimal(String(number), scale: scale)
        }
        return nil
    }

    /// `digits[.digits]` × `scale`, exactly; `nil` when it has more precision than 1 ns or overflows.
    static func scaledDecimal(_ text: String, scale: Int64) -> Int64? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = parts.first, !whole.isEmpty, whole.allSatisfy(\.isASCII),
              let w = Int64(whole), w >= 0 else { return nil }
        var (result, overflow) = w.multipliedReportingOverflow(by: scale)
        guard !overflow else { return nil }
        if parts.count == 2 {
            var unit = scale
            for c in parts[1] {
                guard let digit = c.wholeNumberValue, c.isASCII else { return nil }
                guard unit % 10 == 0 else { return digit == 0 ? result : nil }
                unit /= 10
                (result, overflow) = result.addingReportingOverflow(Int64(digit) * unit)
                guard !overflow else { return nil }
            }
        }
        return result
    }

    static func floorDivMod(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        var q = a / b
        var r = a % b
        if r < 0 { q -= 1; r += b }
        return (q, r)
    }

    private static func pad(_ v: Int64, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    // Howard Hinnant's days_from_civil / civil_from_days (public domain algorithms).
    static func daysFromCivil(_ y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }
}
