// swift-tools-version: 6.0
// libFuzzer targets for heapconv. Not part of the main build; see README.md.
import PackageDescription

let package = Package(
    name: "HeapConvFuzzTesting",
    dependencies: [
        .package(name: "heapconv", path: ".."),
    ],
    targets: [
        .executableTarget(
            name: "FuzzXpressLZ77",
            dependencies: [.product(name: "HeapConv", package: "heapconv")],
            // libFuzzer supplies `main`; the entry point is LLVMFuzzerTestOneInput.
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        .executableTarget(
            name: "FuzzETLReader",
            dependencies: [.product(name: "HeapConv", package: "heapconv")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
    ]
)
