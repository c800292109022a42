import Testing
@testable import HeapConv

@Suite struct HeapSourceTests {
    @Test(arguments: 0...10)
    func rawValueRoundTrips(_ raw: UInt32) {
        #expect(HeapSource(rawValue: raw).rawValue == raw)
    }

    @Test func documentedValuesHaveNames() {
        #expect(HeapSource(rawValue: 3) == .mainPath)
        #expect(HeapSource(rawValue: 6).name == "segmentheap")
        #expect(HeapSource(rawValue: 7) == .other(7))
        #expect(HeapSource(rawValue: 7).name == nil)
    }
}
