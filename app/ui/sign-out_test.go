package ui

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"livefeed/app/session"
	"livefeed/shared/protocol"
)

// mapKeys is a keyStorage in memory.
type mapKeys map[string]string

func (m mapKeys) keys() []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func (m mapKeys) remove(key string) { delete(m, key) }

// sessionKeys returns the keys a session of userID writes through its
// localStore after a post and a flushed feed.
func sessionKeys(t *testing.T, userID string) mapKeys {
	t.Helper()
	mem := session.NewMemoryStore()
	s := session.New(session.Config{Feeds: []string{"main"}, Store: mem})
	if _, err := s.Post("main", "unsent"); err != nil {
		t.Fatal(err)
	}
	out := mapKeys{}
	prefix := newLocalStore(userID).prefix
	for _, k := range []string{"livefeed/outbox", "livefeed/feed/main", "livefeed/feed/team"} {
		out[prefix+k] = "{}"
	}
	if _, ok := mem.Get("livefeed/outbox"); !ok {
		t.Fatal(`the session's outbox key is not "livefeed/outbox": update this test and forget.go's doc`)
	}
	return out
}

func TestForgetRemovesEverythingOfLivefeedButTheSignOutNote(t *testing.T) {
	st := sessionKeys(t, "uAda")
	for k, v := range sessionKeys(t, "uOld") { // an earlier sign-in's leftovers
		st[k] = v
	}
	st[keyUser] = `{"id":"uAda","name":"Ada"}`
	st[keySignOutPending] = "1"
	st["other-app:theme"] = "dark" // not ours
	st["livefeedish"] = "x"        // not ours either (no "livefeed:" prefix)

	forget(st)
	want := []string{keySignOutPending, "livefeedish", "other-app:theme"}
	if got := st.keys(); !slices.Equal(got, want) {
		t.Errorf("after forget: %q, want %q", got, want)
	}
}

func TestLeaveDialogSaysHowManyAndOffersBothChoices(t *testing.T) {
	for n, want := range map[int]string{1: "1 change is not sent yet", 3: "3 changes are not sent yet"} {
		if got := leaveTitle(n); got != want {
			t.Errorf("leaveTitle(%d) = %q, want %q", n, got, want)
		}
	}
	for _, offline := range []bool{false, true} {
		if txt := leaveText(offline); !strings.Contains(txt, "signed out as soon as") || !strings.HasSuffix(txt, "If you sign out now, they are lost.") {
			t.Errorf("leaveText(%v) = %q", offline, txt)
		}
	}
	if !strings.Contains(leaveText(true), "offline") || strings.Contains(leaveText(false), "offline") {
		t.Error("only the offline text says offline")
	}

	html := app.HTMLString(&leaveDialog{Actor: newFeedPage(), Unsent: 2})
	for _, want := range []string{
		`<dialog`, `id="leave-dialog"`, `aria-labelledby="leave-title"`, `aria-describedby="leave-text"`,
		`id="leave-title"`, ">2 changes are not sent yet<", `id="leave-text"`, ">Stay signed in<", ">Sign out anyway<",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("dialog lacks %s:\n%s", want, html)
		}
	}
	if strings.Index(html, "Stay signed in") > strings.Index(html, "Sign out anyway") {
		t.Error(`"Stay signed in" must come first: showModal focuses the first button`)
	}
}

func TestLeaveDialogShowsOnlyWhileAsking(t *testing.T) {
	p := newFeedPage()
	p.phase, p.pendingN = phaseFeed, 2
	if html := app.HTMLString(app.Div().Body(p.leaveDialog())); strings.Contains(html, "<dialog") {
		t.Errorf("dialog without asking:\n%s", html)
	}
	p.leave.asking = true
	if html := app.HTMLString(app.Div().Body(p.leaveDialog())); !strings.Contains(html, "2 changes are not sent yet") {
		t.Errorf("no dialog while asking:\n%s", html)
	}
	p.phase = phaseSignIn
	if html := app.HTMLString(app.Div().Body(p.leaveDialog())); strings.Contains(html, "<dialog") {
		t.Errorf("dialog on the sign-in page:\n%s", html)
	}
}

// TestLeavingDropsAndSaysWhatWasNotSent: the person who chose "Sign out
// anyway" is not told again; a sign-out that did not come from them says
// how many changes were lost, undo windows included.
func TestLeavingDropsAndSaysWhatWasNotSent(t *testing.T) {
	p := newFeedPage()
	p.pendingN, p.leave.asking = 2, true
	p.deleting["p1"] = pendingDelete{feed: "main", final: time.Now().Add(undoFor)}
	if msg := p.leaving(""); msg != "" {
		t.Errorf("signing out anyway: %q", msg)
	}
	if p.leave.asking || len(p.deleting) != 0 {
		t.Errorf("after leaving: asking %v, deleting %v", p.leave.asking, p.deleting)
	}

	p.pendingN = 1
	p.deleting["p2"] = pendingDelete{feed: "main", final: time.Now().Add(undoFor)}
	const ended = "Your session has ended. Join again to continue."
	if msg := p.leaving(ended); msg != ended+" 2 changes you made could not be sent." {
		t.Errorf("session ended: %q", msg)
	}
	p.pendingN = 0
	if msg := p.leaving(signedOutElsewhereMsg); msg != signedOutElsewhereMsg {
		t.Errorf("nothing lost: %q", msg)
	}
}

func TestSignOutButtonHasItsID(t *testing.T) {
	html := app.HTMLString(&appHeader{Actor: newFeedPage(), Feed: "main", User: protocol.User{ID: "u1", Name: "Ada"}, SignedIn: true})
	if !strings.Contains(html, `id="`+signOutID+`"`) || !strings.Contains(html, ">Sign out<") {
		t.Errorf("header:\n%s", html)
	}
}
