import WireProtocol

extension UserRecord {
    var wire: WireUser {
        var user = WireUser()
        user.id = self.id
        user.username = self.username
        user.email = self.email
        if let fullName = self.fullName {
            user.fullName = fullName
        }
        user.role = self.role
        user.isActive = self.isActive && !self.isDeleted
        user.isVerified = self.isVerified
        user.createdAt = self.createdAt
        user.tokensValidAfterMs = self.tokensValidAfterMilliseconds
        if let tier = self.tier { user.tier = tier }
        user.mfaEnabled = self.mfaEnabled
        return user
    }
}
