package gateway

import "livefeed/shared/protocol"

// revoked closes the connections of a session deleted anywhere in the
// cluster (auth.Sessions.OnRevoke; called on the sessions' watch, so it
// only starts the closes): an Error with protocol.CodeSignedOut, then
// protocol.CloseSignedOut. A connection that is being refused or has
// already closed is left alone.
func (g *Gateway) revoked(userID, sessionID string) {
	g.downs.drop(sessionID)
	var hit []*conn
	g.mu.Lock()
	if g.perUser[userID] > 0 {
		for c := range g.conns {
			if c.sid == sessionID && c.user.ID == userID {
				hit = append(hit, c)
			}
		}
	}
	g.mu.Unlock()
	if len(hit) == 0 {
		return
	}
	final := protocol.MustEncode(protocol.Errorf(protocol.CodeSignedOut, "you were signed out; sign in again"))
	for _, c := range hit {
		c.closeWith(protocol.CloseSignedOut, "signed out", final)
	}
	g.Stats.Revoked.Add(int64(len(hit)))
}
