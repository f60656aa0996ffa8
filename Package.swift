// swift-tools-version:6.0
import PackageDescription

// Tandem builds, runs and is tested on Linux (Swift 6, glibc, ncursesw):
// its file and terminal code calls Linux interfaces (/etc/machine-id, Glibc,
// posix_spawn into the terminal's process group) that are not tried on macOS.
let package = Package(
    name: "Tandem",
    products: [
        .library(name: "TandemCore", targets: ["TandemCore"]),
        .library(name: "TandemSimulation", targets: ["TandemSimulation"]),
        .executable(name: "tandem", targets: ["tandem"]),
        .executable(name: "tandem-bench", targets: ["tandem-bench"]),
        .executable(name: "friends-example", targets: ["friends-example"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .target(
            name: "TandemCore",
            dependencies: [
                "CZstd",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "TandemSimulation",
            dependencies: ["TandemCore", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "CNCursesShim",
            linkerSettings: [.linkedLibrary("ncursesw")]
        ),
        .target(
            name: "TandemTerminal",
            dependencies: ["TandemCore", "TandemSimulation", "CNCursesShim", .product(name: "TOMLKit", package: "TOMLKit")]
        ),
        .executableTarget(
            name: "tandem",
            dependencies: [
                "TandemCore",
                "TandemSimulation",
                "TandemTerminal",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "tandem-bench",
            dependencies: [
                "TandemCore",
                "TandemTerminal",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        // The small app of the "Getting started" article; built by `swift build`, run by a test.
        .executableTarget(
            name: "friends-example",
            dependencies: ["TandemCore", .product(name: "Logging", package: "swift-log")],
            path: "Examples/FriendsExample"
        ),
        .testTarget(
            name: "TandemCoreTests",
            dependencies: ["TandemCore", "TandemSimulation", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Logging", package: "swift-log")],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "TandemTerminalTests",
            dependencies: ["TandemTerminal", "TandemCore", "TandemSimulation"],
            // The golden frames are read from the source folder, not bundled.
            exclude: ["Golden"]
        ),
        .testTarget(
            name: "TandemCLITests",
            dependencies: ["TandemCore", "tandem", "friends-example"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
