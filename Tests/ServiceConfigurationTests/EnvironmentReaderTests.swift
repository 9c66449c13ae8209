import Foundation
import ServiceConfiguration
import Testing

@Suite("Reading the environment")
struct EnvironmentReaderTests {
    /// The configuration error `body` throws, if any.
    static func reason(_ body: () throws -> Void) -> ConfigurationError? {
        do {
            try body()
            return nil
        } catch {
            return error as? ConfigurationError
        }
    }

    @Test func valuesAreParsedOrTheVariableIsNamed() throws {
        let environment = EnvironmentReader(["N": " 42 ", "B": "Yes", "C": "Strict", "EMPTY": "", "BAD": "4x", "FAR": "9000"])
        #expect(try environment.integer("N", default: 1, in: 1...100) == 42)
        #expect(try environment.integer("EMPTY", default: 7, in: 1...100) == 7, "empty is unset")
        #expect(try environment.boolean("B", default: false))
        #expect(try environment.choice("C", default: "lax", from: ["lax", "strict"]) == "strict")
        #expect(Self.reason { _ = try environment.integer("BAD", default: 1, in: 1...100) }?.variable == "BAD")
        #expect(Self.reason { _ = try environment.integer("FAR", default: 1, in: 1...100) }?.variable == "FAR")
        #expect(Self.reason { _ = try environment.require("MISSING") }?.variable == "MISSING")
        #expect(Self.reason { _ = try environment.choice("B", default: "lax", from: ["lax"]) }?.variable == "B")
    }

    @Test func secretsComeFromTheVariableOrItsFileButNotBoth() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("secret-\(UUID().uuidString)").path
        let secret = String(repeating: "s", count: 40)
        try (secret + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }

        #expect(try EnvironmentReader(["ACCESS_SECRET_FILE": path]).secret("ACCESS_SECRET") == secret, "the file's last newline is dropped")
        #expect(Self.reason { _ = try EnvironmentReader(["ACCESS_SECRET": secret, "ACCESS_SECRET_FILE": path]).secret("ACCESS_SECRET") } != nil)
        #expect(
            Self.reason { _ = try EnvironmentReader(["ACCESS_SECRET_FILE": path + ".missing"]).secret("ACCESS_SECRET") }?.variable
                == "ACCESS_SECRET_FILE"
        )
        #expect(Self.reason { _ = try EnvironmentReader(["ACCESS_SECRET": "short"]).secret("ACCESS_SECRET") }?.variable == "ACCESS_SECRET")
        let placeholder = "change-me-" + String(repeating: "x", count: 32)
        #expect(Self.reason { _ = try EnvironmentReader(["ACCESS_SECRET": placeholder]).secret("ACCESS_SECRET") }?.variable == "ACCESS_SECRET")
        #expect(Self.reason { _ = try EnvironmentReader([:]).secret("ACCESS_SECRET") }?.variable == "ACCESS_SECRET")
    }

    @Test func theSecretsOfOneDeploymentMustDiffer() {
        let same = String(repeating: "a", count: 40)
        let other = String(repeating: "b", count: 40)
        #expect(Self.reason { try EnvironmentReader(["ACCESS_SECRET": same, "REFRESH_SECRET": other]).requireDistinct() } == nil)
        #expect(
            Self.reason { try EnvironmentReader(["ACCESS_SECRET": same, "REFRESH_SECRET": same]).requireDistinct() }?.variable == "REFRESH_SECRET"
        )
    }
}
