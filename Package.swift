// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "ExpertMesh",
    products: [
        .executable(name: "expertmesh", targets: ["expertmesh"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
    ],
    targets: [
        // C doors: each has exactly one Swift importer.
        .systemLibrary(name: "CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),

        // The only importer of CMPI.
        .target(name: "MeshMPI", dependencies: ["CMPI"]),
        // The only importer of CBLAS: row-major Float32 storage and kernels.
        .target(name: "MeshTensor", dependencies: ["CBLAS"]),
        // File formats: .npy, safetensors, reduced-precision floats. No dependencies.
        .target(name: "MeshIO"),
        // Pure core: config and validation, model description, routing, weight naming.
        .target(name: "MeshCore", dependencies: [
            "MeshIO", "MeshTensor",
            .product(name: "Yams", package: "Yams"),
        ]),
        // Planning, apart from the runtime: the placement planner, EPLB files and expert loads.
        .target(name: "MeshPlanning", dependencies: ["MeshCore", "MeshIO"]),
        // The model: weights, decoder layers and the single-process reference.
        .target(name: "MeshModel", dependencies: [
            "MeshCore", "MeshTensor", "MeshIO",
        ]),
        // The shell: coordinator and worker loops, the token exchange, metrics.
        .target(name: "MeshRuntime", dependencies: [
            "MeshCore", "MeshModel", "MeshMPI", "MeshIO", "MeshTensor",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Histogram", package: "hdrhistogram-swift"),
        ]),
        // `calibrate`: measures this machine under mpirun and writes a hardware profile of it.
        .target(name: "MeshCalibration", dependencies: [
            "MeshCore", "MeshModel", "MeshMPI", "MeshIO", "MeshTensor", "MeshRuntime", "MeshPlanning",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The load-test driver: sweeps launched through mpirun, points.csv, plots and the report.
        .target(name: "MeshLoadTest", dependencies: [
            "MeshCore", "MeshIO", "MeshPlanning",
            .product(name: "Subprocess", package: "swift-subprocess"),
        ]),
        .executableTarget(name: "expertmesh", dependencies: [
            "MeshCore", "MeshModel", "MeshMPI", "MeshIO", "MeshTensor", "MeshRuntime", "MeshLoadTest",
            "MeshPlanning", "MeshCalibration",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        .testTarget(name: "MeshMPITests", dependencies: ["MeshMPI"]),
        .testTarget(name: "MeshTensorTests", dependencies: [
            "MeshTensor", .product(name: "Numerics", package: "swift-numerics"),
        ]),
        .testTarget(name: "MeshIOTests", dependencies: ["MeshIO"]),
        .testTarget(name: "MeshLoadTestTests", dependencies: ["MeshLoadTest", "MeshPlanning", "MeshCore", "MeshIO"]),
        .testTarget(name: "MeshCoreTests", dependencies: [
            "MeshCore", "MeshIO", .product(name: "PropertyBased", package: "swift-property-based"),
        ]),
        .testTarget(name: "MeshPlanningTests", dependencies: [
            "MeshPlanning", "MeshCore", "MeshIO", .product(name: "PropertyBased", package: "swift-property-based"),
        ]),
        .testTarget(name: "MeshCalibrationTests", dependencies: ["MeshCalibration", "MeshCore"]),
        .testTarget(name: "MeshRuntimeTests", dependencies: ["MeshRuntime", "MeshModel", "MeshCore", "MeshTensor", "MeshMPI"]),
        .testTarget(name: "MeshModelTests", dependencies: [
            "MeshModel", "MeshCore", "MeshTensor", "MeshIO",
            .product(name: "Numerics", package: "swift-numerics"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)
