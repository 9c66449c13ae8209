public import NIOSSL
public import ServiceConfiguration

/// Who may be at the other end of a connection between the processes, and the mutual TLS that
/// protects TCP ones.
///
/// Over a Unix-domain socket the kernel names the peer's user (``PeerCredentials``): a server
/// accepts only callers running as an allowed user, and a client talks only to a server that
/// does. A process always trusts its own user (its `healthcheck` talks to its own socket). Over
/// TCP the peer proves itself with a certificate signed by the deployment's CA, loopback
/// included: any local user can connect to a loopback port, and no peer credentials are checked
/// there.
///
/// ```swift
/// let security = try BackendSecurity(environment: environment)
/// try security.check(address, variable: "IDENTITY_SOCKET")
/// ```
public struct BackendSecurity: Sendable {
    /// Users trusted at the other end of a Unix socket, this process's own included
    /// (`BACKEND_ALLOWED_UIDS`, comma-separated).
    public var allowedUIDs: Set<UInt32>
    /// Mutual TLS for `tcp://` connections, when configured.
    public var tls: BackendTLS?

    public init(allowedUIDs: Set<UInt32> = [], tls: BackendTLS? = nil) {
        self.allowedUIDs = allowedUIDs.union([PeerCredentials.currentUID])
        self.tls = tls
    }

    /// Only this process's own user, no TLS.
    public static var ownUser: BackendSecurity { BackendSecurity() }

    public init(environment: EnvironmentReader) throws(ConfigurationError) {
        var uids: Set<UInt32> = []
        for item in environment.string("BACKEND_ALLOWED_UIDS", default: "").split(separator: ",") {
            let text = item.filter { !$0.isWhitespace }
            guard !text.isEmpty else { continue }
            guard let uid = UInt32(text) else {
                throw ConfigurationError(variable: "BACKEND_ALLOWED_UIDS", reason: "\"\(text.prefix(32))\" is not a numeric user id")
            }
            uids.insert(uid)
        }
        let certificate = environment.optional("BACKEND_TLS_CERT_FILE")
        let key = environment.optional("BACKEND_TLS_KEY_FILE")
        let authority = environment.optional("BACKEND_TLS_CA_FILE")
        var tls: BackendTLS?
        if certificate != nil || key != nil || authority != nil {
            for (name, value) in [("BACKEND_TLS_CERT_FILE", certificate), ("BACKEND_TLS_KEY_FILE", key), ("BACKEND_TLS_CA_FILE", authority)]
            where value == nil {
                throw ConfigurationError(variable: name, reason: "is required with the other BACKEND_TLS_* variables")
            }
            tls = try BackendTLS(certificateFile: certificate ?? "", keyFile: key ?? "", authorityFile: authority ?? "")
        }
        self.init(allowedUIDs: uids, tls: tls)
    }

    /// Refuses an address this process may not use: `tcp://` needs mutual TLS, on loopback too.
    public func check(_ address: WireEndpointAddress, variable: String) throws(ConfigurationError) {
        guard case .tcp(let host, _) = address, self.tls == nil else { return }
        throw ConfigurationError(
            variable: variable,
            reason: "tcp://\(host) needs mutual TLS (any local user reaches a TCP port, loopback included): "
                + "set BACKEND_TLS_CERT_FILE, BACKEND_TLS_KEY_FILE and BACKEND_TLS_CA_FILE, or use a Unix socket path"
        )
    }
}

/// The certificate and key a process presents, and the CA whose certificates it trusts, for
/// mutual TLS between the processes. Hostnames are not checked: only the deployment's own CA
/// issues the certificates, and every process must present one.
public struct BackendTLS: Sendable {
    let serverContext: NIOSSLContext
    let clientContext: NIOSSLContext

    init(serverContext: NIOSSLContext, clientContext: NIOSSLContext) {
        self.serverContext = serverContext
        self.clientContext = clientContext
    }

    public init(certificateFile: String, keyFile: String, authorityFile: String) throws(ConfigurationError) {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        let authority: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificateFile)
        } catch {
            throw ConfigurationError(variable: "BACKEND_TLS_CERT_FILE", reason: "cannot read a PEM certificate from \(certificateFile)")
        }
        do {
            key = try NIOSSLPrivateKey(file: keyFile, format: .pem)
        } catch {
            throw ConfigurationError(variable: "BACKEND_TLS_KEY_FILE", reason: "cannot read a PEM private key from \(keyFile)")
        }
        do {
            authority = try NIOSSLCertificate.fromPEMFile(authorityFile)
        } catch {
            throw ConfigurationError(variable: "BACKEND_TLS_CA_FILE", reason: "cannot read PEM certificates from \(authorityFile)")
        }
        guard !chain.isEmpty else { throw ConfigurationError(variable: "BACKEND_TLS_CERT_FILE", reason: "holds no certificate") }
        guard !authority.isEmpty else { throw ConfigurationError(variable: "BACKEND_TLS_CA_FILE", reason: "holds no certificate") }
        var server = TLSConfiguration.makeServerConfigurationWithMTLS(
            certificateChain: chain.map { .certificate($0) },
            privateKey: .privateKey(key),
            trustRoots: .certificates(authority)
        )
        server.minimumTLSVersion = .tlsv13
        var client = TLSConfiguration.makeClientConfiguration()
        client.certificateChain = chain.map { .certificate($0) }
        client.privateKey = .privateKey(key)
        client.trustRoots = .certificates(authority)
        client.certificateVerification = .noHostnameVerification
        client.minimumTLSVersion = .tlsv13
        do {
            self.serverContext = try NIOSSLContext(configuration: server)
            self.clientContext = try NIOSSLContext(configuration: client)
        } catch {
            throw ConfigurationError(
                variable: "BACKEND_TLS_KEY_FILE",
                reason: "the key does not match the certificate, or the files are unusable: \(error)"
            )
        }
    }
}
