// swift-tools-version: 6.0
// libFuzzer targets for heapconv, one per parser. Not part of the main build; see README.md and run.sh.
import PackageDescription

/// libFuzzer supplies `main`; each target's entry point is `LLVMFuzzerTestOneInput`.
let fuzzTarget: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]
let heapconv: Target.Dependency = .product(name: "HeapConv", package: "heapconv")

let package = Package(
    name: "HeapConvFuzzTesting",
    dependencies: [
        .package(name: "heapconv", path: ".."),
    ],
    targets: [
        .target(name: "FuzzSupport", dependencies: [heapconv]),
        .executableTarget(name: "FuzzXpressLZ77", dependencies: [heapconv], swiftSettings: fuzzTarget),
        .executableTarget(name: "FuzzETLReader", dependencies: [heapconv, "FuzzSupport"], swiftSettings: fuzzTarget),
        .executableTarget(name: "FuzzHeapColReader", dependencies: [heapconv, "FuzzSupport"], swiftSettings: fuzzTarget),
        .executableTarget(name: "FuzzCSVReader", dependencies: [heapconv, "FuzzSupport"], swiftSettings: fuzzTarget),
        .executableTarget(name: "FuzzJSONLinesReader", dependencies: [heapconv, "FuzzSupport"], swiftSettings: fuzzTarget),
        .executableTarget(name: "FuzzGzipSource", dependencies: [heapconv, "FuzzSupport"], swiftSettings: fuzzTarget),
        .executableTarget(name: "FuzzParquetReader", dependencies: [heapconv, "FuzzSupport"], swiftSettings: fuzzTarget),
    ]
)
