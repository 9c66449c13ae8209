import WireProtocol

/// The second factor a request may carry beside the password, where a confirmed factor guards
/// the change: `code` (the app's 6 digits) or `recovery_code`. Identity decides whether it is
/// needed (403 `mfa_required` when it is and neither came).
enum SecondFactorFields {
    /// The longest of each passed on; longer is no code of ours anyway.
    static let maximumCodeBytes = 16
    static let maximumRecoveryCodeBytes = 64

    static func factor(code: Text?, recoveryCode: Text?) -> WireSecondFactor {
        var factor = WireSecondFactor()
        if let code = code?.value, !code.isEmpty {
            factor.code = String(decoding: code.utf8.prefix(Self.maximumCodeBytes), as: UTF8.self)
        } else if let recovery = recoveryCode?.value, !recovery.isEmpty {
            factor.recoveryCode = String(decoding: recovery.utf8.prefix(Self.maximumRecoveryCodeBytes), as: UTF8.self)
        }
        return factor
    }
}
