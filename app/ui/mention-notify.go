package ui

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"livefeed/shared/protocol"
)

// The browser side of mention notifications (docs/whats-new.md,
// "Mentions"): the Notification API through syscall/js, and the reader's
// choice in localStorage. whats-new.go decides which posts to notify of.

// keyMentions holds, under the user's prefix (store.go), "on" when the
// reader asked to be notified of mentions; absent otherwise.
const keyMentions = "livefeed/mentions"

// mentionIcon is the picture of a mention notification (a local file:
// the service worker caches it with the app).
const mentionIcon = "/web/icon-192.png"

func loadMentionChoice(userID string) bool {
	b, ok := newLocalStore(userID).Get(keyMentions)
	return ok && string(b) == "on"
}

func saveMentionChoice(userID string, on bool) {
	s := newLocalStore(userID)
	if on {
		_ = s.Set(keyMentions, []byte("on"))
		return
	}
	_ = s.Delete(keyMentions)
}

// notificationCtor returns window.Notification, or nil where the browser
// has none (old browsers, iOS outside an installed app, the server).
func notificationCtor() app.Value {
	if !app.IsClient {
		return nil
	}
	n := app.Window().Get("Notification")
	if n.Type() != app.TypeFunction {
		return nil
	}
	return n
}

// notificationPermission is Notification.permission: "granted", "denied"
// or "default" (not asked yet, or the prompt was dismissed); "" where
// there are no notifications.
func notificationPermission() (perm string) {
	defer func() {
		if recover() != nil {
			perm = ""
		}
	}()
	n := notificationCtor()
	if n == nil {
		return ""
	}
	return n.Get("permission").String()
}

// requestNotificationPermission asks the browser for the permission
// (Notification.requestPermission; call it from a person's click, or the
// browser refuses without asking). answer gets the outcome, from the
// JavaScript event loop: it must only dispatch.
func requestNotificationPermission(answer func(perm string)) {
	n := notificationCtor()
	if n == nil {
		answer("")
		return
	}
	var p app.Value
	func() {
		defer func() { _ = recover() }()
		p = n.Call("requestPermission")
	}()
	if p == nil || !p.Truthy() || p.Get("then").Type() != app.TypeFunction {
		// An old callback-only API: take what is known now.
		answer(notificationPermission())
		return
	}
	settle(p, func(v app.Value) { answer(v.String()) }, func(app.Value) { answer(notificationPermission()) })
}

// mentionNote is one notification: a post that mentions the reader.
type mentionNote struct {
	Title, Body, Tag string
}

// noteFor is the notification of post in feed.
func noteFor(post protocol.Post, feed string) mentionNote {
	title := post.Author.Name + " mentioned you"
	if feed != protocol.DefaultFeed {
		title += " in #" + feed
	}
	// The tag is the post's: the reader's other tabs notify of the same
	// post under the same tag, and the system shows it once.
	return mentionNote{Title: title, Body: post.Text, Tag: "livefeed-mention:" + feed + ":" + post.ID}
}

// mentionNotes are the notifications this tab has shown and not closed.
// One JavaScript function, made on first use and released with the page,
// handles a click on any of them: it focuses the tab and closes the
// notification.
type mentionNotes struct {
	open  []app.Value
	click app.Func
}

// show shows n; it does nothing where notifications are missing or the
// browser refuses (the constructor throws, as on Android).
func (m *mentionNotes) show(n mentionNote) {
	ctor := notificationCtor()
	if ctor == nil {
		return
	}
	defer func() { _ = recover() }()
	if m.click == nil {
		m.click = app.FuncOf(func(this app.Value, _ []app.Value) any {
			app.Window().Call("focus")
			this.Call("close")
			return nil
		})
	}
	note := ctor.New(n.Title, map[string]any{
		"body": n.Body,
		"tag":  n.Tag,
		"dir":  "auto", // the system lays out a right-to-left post as such
		"icon": mentionIcon,
	})
	note.Set("onclick", m.click)
	m.open = append(m.open, note)
}

// closeAll closes the notifications shown (the reader is back on the
// page, where the posts are).
func (m *mentionNotes) closeAll() {
	for _, note := range m.open {
		func() {
			defer func() { _ = recover() }()
			note.Set("onclick", nil)
			note.Call("close")
		}()
	}
	m.open = nil
}

// release closes the notifications and frees the click handler (the page
// goes).
func (m *mentionNotes) release() {
	m.closeAll()
	if m.click != nil {
		m.click.Release()
		m.click = nil
	}
}

// notifyMentions notifies of the posts among posts (new, by others) that
// mention the reader, while the tab is hidden and the reader asked for it.
func (p *feedPage) notifyMentions(posts []protocol.Post) {
	w := &p.news
	if !w.hidden || !w.mentions.on() {
		return
	}
	for _, post := range posts {
		if mentions(post.Text, p.user.Name) {
			w.notes.show(noteFor(post, p.feed))
		}
	}
}
