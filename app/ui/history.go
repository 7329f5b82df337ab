package ui

import (
	"encoding/json"
	"strconv"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"livefeed/shared/protocol"
)

// historyState is where loading the feed's older posts stands.
type historyState struct {
	Begins  bool   // nothing older than the posts held
	Loading bool   // a page is on its way (or waits for the feed to catch up)
	Err     string // why the last page could not be loaded
}

// loadOlder asks the server for the page of posts just older than the
// oldest held (protocol.HistoryPage of them), as of the feed's position,
// and hands it to the session, which merges it once the feed has caught
// up with the page.
func (p *feedPage) loadOlder(ctx app.Context) {
	s := cl.session()
	if s == nil || p.loadingOlder {
		return
	}
	f := s.Feed(p.feed)
	if f.Begins || len(f.Posts) == 0 {
		return
	}
	p.loadingOlder, p.history.Err = true, ""
	feed := p.feed
	path := "/api/feeds/" + feed + "/history?before=" + strconv.FormatUint(f.Oldest(), 10) +
		"&at=" + strconv.FormatUint(f.Pos, 10)
	// The page's context, not the caller's: the element that asked may be
	// gone when the answer comes, and go-app drops its dispatches.
	pc := p.ctx
	pc.Async(func() {
		res, err := fetchAPI(methodGet, path, nil)
		pc.Dispatch(func(ctx app.Context) {
			p.loadingOlder = false
			var h protocol.History
			switch {
			case err != nil:
				p.history.Err = "Couldn't load older posts: Livefeed can't be reached. Check your connection and try again."
			case res.Status != statusOK:
				p.history.Err = "Couldn't load older posts. " + apiErrorText(res)
			case json.Unmarshal(res.Body, &h) != nil || h.Feed != feed:
				p.history.Err = "The server sent an unexpected answer. Please try again."
			default:
				if s := cl.session(); s != nil {
					s.AddHistory(h)
				}
			}
			p.sync(ctx)
		})
	})
}

// historyOf is where loading older posts stands for the feed shown.
func (p *feedPage) historyOf(begins bool, waiting bool) historyState {
	return historyState{Begins: begins, Loading: p.loadingOlder || waiting, Err: p.history.Err}
}
