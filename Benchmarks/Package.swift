// swift-tools-version: 6.1
// The benchmark tools, kept out of the main package so that its build and CI stay lean:
// - heapconv-synth writes synthetic .etl heap traces for bench.py;
// - HotLoops counts allocations and time of the readers' and writers' per-event loops
//   (`swift package benchmark` here, with package-benchmark's malloc counters).
import PackageDescription

let package = Package(
    name: "heapconv-benchmarks",
    dependencies: [
        .package(name: "heapconv", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "heapconv-synth",
            dependencies: [.product(name: "ETLSynth", package: "heapconv")]
        ),
        .executableTarget(
            name: "HotLoops",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "HeapConv", package: "heapconv"),
                .product(name: "ETLSynth", package: "heapconv"),
            ],
            path: "Benchmarks/HotLoops",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
