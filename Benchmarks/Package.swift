// swift-tools-version: 6.0
// The benchmark tools, kept out of the main package so that its build and CI stay lean.
import PackageDescription

let package = Package(
    name: "heapconv-benchmarks",
    dependencies: [
        .package(name: "heapconv", path: ".."),
    ],
    targets: [
        .executableTarget(
            name: "heapconv-synth",
            dependencies: [.product(name: "ETLSynth", package: "heapconv")]
        ),
    ]
)
