import Testing
@testable import HeapConv

@Suite struct HeapColRoundTripTests {
    @Test func everyKindRoundTrips() throws {
        let batch = SampleEvents.everyKind()
        let file = try HeapColHarness.write([batch])
        #expect(try HeapColHarness.read(file) == HeapColHarness.flatten(batch))
    }
}
