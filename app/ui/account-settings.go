package ui

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"livefeed/shared/protocol"
)

// accountSettings is, in a signed-in account's panel, what the person
// manages (docs/protocol.md, "Managing the account" and "API tokens"):
// the name shown on their posts, their passkeys (each removable but the
// last), their API tokens (made, listed, revoked) and deleting the
// account, confirmed with its handle. It loads what it lists itself each
// time the panel opens (Opened) and after each change.
//
// Per-item buttons carry their item's id in a data attribute and one
// handler reads it from the element clicked: go-app keeps the first
// closure of a reused element (DESIGN.md), so a closure over the id would
// act on the wrong item once the list shifts.
type accountSettings struct {
	app.Compo

	Actor settingsActor
	User  protocol.User
	// Opened counts the panel's openings: each new one loads the lists.
	Opened int

	seen       int // the Opened last loaded for
	loaded     bool
	passkeys   []passkeyInfo
	tokens     []tokenInfo
	name       string // the name field's draft ("" : the user's)
	tokenLabel string
	newToken   string // a token just made, shown this once
	confirming bool   // the delete confirmation is open
	confirm    string
	busy       bool
	err        string
	note       string
}

// settingsActor is what the settings ask of the page (account.go).
type settingsActor interface {
	renamed(ctx app.Context, u protocol.User)
	deleteAccount(ctx app.Context, confirm string)
}

// passkeyInfo and tokenInfo are items of GET /api/account and /api/tokens.
type passkeyInfo struct {
	ID    string `json:"id"`
	Added int64  `json:"added"`
}

type tokenInfo struct {
	ID      string `json:"id"`
	Label   string `json:"label"`
	Created int64  `json:"created"`
	Expires int64  `json:"expires"`
}

// Element ids of the settings' fields.
const (
	settingsNameID    = "settings-name"
	settingsLabelID   = "settings-token-label"
	settingsConfirmID = "settings-confirm"
)

const settingsDateLayout = "2 Jan 2006 15:04"

func settingsDate(ms int64) string {
	return time.UnixMilli(ms).UTC().Format(settingsDateLayout) + " UTC"
}

func (s *accountSettings) OnUpdate(ctx app.Context) {
	if s.Opened != s.seen {
		s.seen = s.Opened
		s.load(ctx)
	}
}

// load fetches the passkeys and tokens.
func (s *accountSettings) load(ctx app.Context) {
	ctx.Async(func() {
		var acc struct {
			Passkeys []passkeyInfo `json:"passkeys"`
		}
		var tok struct {
			Tokens []tokenInfo `json:"tokens"`
		}
		msg := getJSON("/api/account", &acc)
		if msg == "" {
			msg = getJSON("/api/tokens", &tok)
		}
		ctx.Dispatch(func(ctx app.Context) {
			if msg != "" {
				s.err = msg
				return
			}
			s.loaded, s.passkeys, s.tokens = true, acc.Passkeys, tok.Tokens
		})
	})
}

// getJSON fetches path into v; it returns a message for the person, or "".
func getJSON(path string, v any) string {
	res, err := fetchAPI(methodGet, path, nil)
	switch {
	case err != nil:
		return cantReachMsg
	case res.Status != statusOK:
		return apiErrorText(res)
	case json.Unmarshal(res.Body, v) != nil:
		return unexpectedAnswerMsg
	}
	return ""
}

// call sends method path with body; on success then runs (on the UI
// goroutine) with the answer, and the lists are loaded again.
func (s *accountSettings) call(ctx app.Context, method, path string, body any, then func(ctx app.Context, res apiResponse)) {
	if s.busy {
		return
	}
	s.busy, s.err, s.note, s.newToken = true, "", "", ""
	ctx.Async(func() {
		res, err := fetchAPI(method, path, body)
		ctx.Dispatch(func(ctx app.Context) {
			s.busy = false
			switch {
			case err != nil:
				s.err = cantReachMsg
			case res.Status >= 300:
				s.err = apiErrorText(res)
			default:
				then(ctx, res)
			}
			s.load(ctx)
		})
	})
}

func (s *accountSettings) Render() app.UI {
	name := s.name
	if name == "" {
		name = s.User.Name
	}
	return app.Div().Class("account-settings").Body(
		app.H3().Class("settings-head").Text("Your name"),
		app.Label().For(settingsNameID).Class("field-label").Text("Name shown on your posts"),
		app.Div().Class("signin-row").Body(
			app.Input().ID(settingsNameID).Type("text").Attr("maxlength", protocol.MaxNameChars*4).
				Value(name).OnInput(s.onName),
			app.Button().Class("btn").Type("button").Disabled(s.busy).Text("Save name").OnClick(s.onSaveName),
		),
		app.H3().Class("settings-head").Text("Passkeys"),
		s.renderPasskeys(),
		app.H3().Class("settings-head").Text("API tokens"),
		s.renderTokens(),
		app.H3().Class("settings-head").Text("Delete account"),
		s.renderDelete(),
		app.If(s.note != "", func() app.UI { return app.P().Role("status").Class("muted").Text(s.note) }),
		app.P().Class("field-error").Role("alert").Text(s.err),
	)
}

func (s *accountSettings) renderPasskeys() app.UI {
	if !s.loaded {
		return app.P().Class("muted").Text("Loading…")
	}
	only := len(s.passkeys) == 1
	return app.Ul().Class("settings-list").Aria("label", "Your passkeys").Body(
		app.Range(s.passkeys).Slice(func(i int) app.UI {
			k, n := s.passkeys[i], strconv.Itoa(i+1)
			added := "added before dates were kept"
			if k.Added > 0 {
				added = "added " + settingsDate(k.Added)
			}
			return app.Li().Body(
				app.Span().Text("Passkey "+n+", "+added),
				app.If(only, func() app.UI {
					return app.Span().Class("muted").Text(" (your only one: add a device before removing it)")
				}).Else(func() app.UI {
					return app.Button().Class("btn btn-sm").Type("button").Disabled(s.busy).
						DataSet("id", k.ID).Aria("label", "Remove passkey "+n).Text("Remove").OnClick(s.onRemovePasskey)
				}),
			)
		}),
	)
}

func (s *accountSettings) renderTokens() app.UI {
	return app.Div().Body(
		app.P().Class("muted").Text("Bots post as you with a token (livefeed post --token)."),
		app.If(s.loaded && len(s.tokens) == 0, func() app.UI {
			return app.P().Class("muted").Text("No API tokens.")
		}),
		app.Ul().Class("settings-list").Aria("label", "Your API tokens").Body(
			app.Range(s.tokens).Slice(func(i int) app.UI {
				t := s.tokens[i]
				return app.Li().Body(
					app.Span().Body(
						app.Bdi().Text(t.Label),
						app.Span().Class("muted").Text(", made "+settingsDate(t.Created)+", expires "+settingsDate(t.Expires)),
					),
					app.Button().Class("btn btn-sm").Type("button").Disabled(s.busy).
						DataSet("id", t.ID).Aria("label", "Revoke token "+t.Label).Text("Revoke").OnClick(s.onRevokeToken),
				)
			}),
		),
		app.Label().For(settingsLabelID).Class("field-label").Text("Token label"),
		app.Div().Class("signin-row").Body(
			app.Input().ID(settingsLabelID).Type("text").Attr("maxlength", protocol.MaxNameChars*4).
				Placeholder("e.g. deploy bot").Value(s.tokenLabel).OnInput(s.onTokenLabel),
			app.Button().Class("btn").Type("button").Disabled(s.busy).Text("Make token").OnClick(s.onMakeToken),
		),
		app.If(s.newToken != "", func() app.UI {
			return app.P().Role("status").Body(
				app.Text("Your new token (copy it now, it is shown only once): "),
				app.Code().Class("new-token").Text(s.newToken),
			)
		}),
	)
}

func (s *accountSettings) renderDelete() app.UI {
	if !s.confirming {
		return app.Button().Class("btn btn-danger").Type("button").Text("Delete account").OnClick(s.onAskDelete)
	}
	return app.Div().Body(
		app.P().Text("Your passkeys, tokens and sessions on every device end. Your posts stay, under the name and @"+
			s.User.Handle+" they show; nobody can edit them after this, and the handle is not given to anyone else."),
		app.Label().For(settingsConfirmID).Class("field-label").Text("Type your handle to confirm"),
		app.Input().ID(settingsConfirmID).Class("settings-confirm").Type("text").Attr("autocapitalize", "none").
			Attr("spellcheck", "false").Attr("maxlength", handleMaxInput).Value(s.confirm).OnInput(s.onConfirm),
		app.Div().Class("signin-row signin-buttons").Body(
			app.Button().Class("btn btn-danger").Type("button").Disabled(s.busy).Text("Delete my account").OnClick(s.onDelete),
			app.Button().Class("btn").Type("button").Text("Keep my account").OnClick(s.onKeep),
		),
	)
}

func (s *accountSettings) onName(ctx app.Context, e app.Event) {
	s.name = ctx.JSSrc().Get("value").String()
}

func (s *accountSettings) onSaveName(ctx app.Context, e app.Event) {
	name := strings.TrimSpace(s.name)
	if name == "" {
		name = s.User.Name
	}
	s.call(ctx, methodPatch, "/api/account", map[string]string{"name": name}, func(ctx app.Context, res apiResponse) {
		if u, ok := decodeUser(res.Body); ok {
			s.name, s.note = "", "Saved: your posts from now on show "+u.Name+"."
			s.Actor.renamed(ctx, u)
		}
	})
}

// itemID is the id a per-item button carries (base64url or hex, as the
// server gave it: safe in a path).
func itemID(ctx app.Context) string { return ctx.JSSrc().Get("dataset").Get("id").String() }

func (s *accountSettings) onRemovePasskey(ctx app.Context, e app.Event) {
	s.call(ctx, methodDelete, "/api/account/passkeys/"+itemID(ctx), nil, func(ctx app.Context, _ apiResponse) {
		s.note = "The passkey was removed: it signs in no more."
	})
}

func (s *accountSettings) onTokenLabel(ctx app.Context, e app.Event) {
	s.tokenLabel = ctx.JSSrc().Get("value").String()
}

func (s *accountSettings) onMakeToken(ctx app.Context, e app.Event) {
	s.call(ctx, methodPost, "/api/tokens", map[string]string{"label": strings.TrimSpace(s.tokenLabel)}, func(ctx app.Context, res apiResponse) {
		var v struct {
			Token string `json:"token"`
		}
		json.Unmarshal(res.Body, &v)
		s.tokenLabel, s.newToken = "", v.Token
	})
}

func (s *accountSettings) onRevokeToken(ctx app.Context, e app.Event) {
	s.call(ctx, methodDelete, "/api/tokens/"+itemID(ctx), nil, func(ctx app.Context, _ apiResponse) {
		s.note = "The token was revoked."
	})
}

func (s *accountSettings) onAskDelete(ctx app.Context, e app.Event) {
	s.confirming, s.confirm = true, ""
	ctx.Defer(func(app.Context) { focusID(settingsConfirmID) })
}

func (s *accountSettings) onKeep(ctx app.Context, e app.Event) { s.confirming = false }

func (s *accountSettings) onConfirm(ctx app.Context, e app.Event) {
	s.confirm = ctx.JSSrc().Get("value").String()
}

func (s *accountSettings) onDelete(ctx app.Context, e app.Event) {
	if s.busy {
		return
	}
	typed := strings.TrimSpace(s.confirm)
	if !strings.EqualFold(strings.TrimPrefix(typed, "@"), s.User.Handle) {
		// The server checks too (confusables and all); this says it plainly.
		s.err = "To delete the account, type its handle, @" + s.User.Handle + ", exactly."
		return
	}
	s.err = ""
	s.Actor.deleteAccount(ctx, typed)
}
