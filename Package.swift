// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "heapconv",
    products: [
        .library(name: "HeapConv", targets: ["HeapConv"]),
        .executable(name: "heapconv", targets: ["heapconv"]),
        // The synthetic .etl writer, for the benchmark generator (Benchmarks/heapconv-synth).
        .library(name: "ETLSynth", targets: ["ETLSynth"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // A cache-prefetch hint, which Swift cannot spell, for the live-block maps.
        .target(name: "CPrefetch"),
        // Removing a temporary output on SIGINT/SIGTERM/SIGHUP: a signal handler is async-signal-safe only in C.
        .target(name: "CSignalGuard"),
        .target(
            name: "HeapConv",
            dependencies: ["CZlib", "CPrefetch", "CSignalGuard"]
        ),
        .executableTarget(
            name: "heapconv",
            dependencies: [
                "HeapConv",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Writes synthetic .etl files: the tests' encoder, reusable by a benchmark generator.
        .target(name: "ETLSynth"),
        .testTarget(
            name: "HeapConvTests",
            dependencies: ["HeapConv", "heapconv", "ETLSynth", "CSignalGuard"],
            resources: [.copy("Fixtures")]
        ),
    ]
)
