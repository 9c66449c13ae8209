import ServiceConfiguration
import Testing

/// TLS files that cannot serve stop the gateway at start, naming the variable.
@Suite("TLS configuration")
struct TLSConfigurationTests {
    @Test(arguments: [
        (["TLS_CERT_FILE": "/etc/hostname"], "TLS_KEY_FILE"),
        (["TLS_KEY_FILE": "/etc/hostname"], "TLS_CERT_FILE"),
        (["TLS_CERT_FILE": "/nonexistent.pem", "TLS_KEY_FILE": "/nonexistent.pem"], "TLS_CERT_FILE"),
        (["TLS_CERT_FILE": "/etc/hostname", "TLS_KEY_FILE": "/etc/hostname"], "TLS_CERT_FILE"),
    ])
    func aWrongCertificateOrKeyStopsTheGatewayNamingTheVariable(_ environment: [String: String], _ variable: String) {
        do {
            _ = try RouteTests.configuration(environment)
            Issue.record("accepted \(environment)")
        } catch let error as ConfigurationError {
            #expect(error.variable == variable)
        } catch {
            Issue.record("not a configuration error: \(error)")
        }
    }
}
