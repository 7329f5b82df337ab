package auth

// MaxTokensPerAccount: the API tokens one account may hold at once; a
// new one over it is refused (revoke one first).
const MaxTokensPerAccount = 10
