package ui

import (
	"fmt"
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"livefeed/shared/protocol"
)

func TestPresenceListCountAndMore(t *testing.T) {
	var listed []protocol.User
	for i := range protocol.MaxPresenceList {
		listed = append(listed, protocol.User{ID: fmt.Sprint("u", i), Name: fmt.Sprintf("User %02d", i)})
	}
	cases := []struct {
		name      string
		p         protocol.Presence
		want, not []string
	}{
		{"all listed", protocol.Presence{Online: listed[:2], Count: 2}, []string{"2 online", "User 00", "User 01"}, []string{"more"}},
		{"older server, no count", protocol.Presence{Online: listed[:3]}, []string{"3 online", "User 02"}, []string{"more"}},
		{"exactly the limit", protocol.Presence{Online: listed, Count: len(listed)},
			[]string{fmt.Sprint(len(listed), " online"), "User 49"}, []string{"more"}},
		{"one over the limit", protocol.Presence{Online: listed, Count: len(listed) + 1},
			[]string{fmt.Sprint(len(listed)+1, " online"), "User 49", "and 1 more"}, nil},
		{"thousands", protocol.Presence{Online: listed, Count: 5000}, []string{"5000 online", "and 4950 more"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			html := app.HTMLString(newPresenceList(c.p, true))
			for _, w := range c.want {
				if !strings.Contains(html, w) {
					t.Errorf("%q missing from %s", w, html)
				}
			}
			for _, n := range c.not {
				if strings.Contains(html, n) {
					t.Errorf("%q in %s", n, html)
				}
			}
		})
	}
}
