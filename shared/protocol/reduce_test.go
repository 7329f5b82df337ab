package protocol

import (
	"fmt"
	"testing"
)

func TestPostFollowsItsEvents(t *testing.T) {
	ann, bob := User{ID: "a", Name: "Ann"}, User{ID: "b", Name: "Bob"}
	p := PostOf(Event{Kind: KindPost, ID: "p1", Feed: "f", Author: ann, Text: "hi", Time: 10, Pos: 1})
	orig := p
	for _, e := range []Event{
		{Kind: KindEdit, ID: "p1", Text: "hello", Time: 20},
		{Kind: KindReact, ID: "p1", Emoji: "🎉", Author: ann, On: true},
		{Kind: KindReact, ID: "p1", Emoji: "🎉", Author: bob, On: true},
		{Kind: KindReact, ID: "p1", Emoji: "👍", Author: bob, On: true},
		{Kind: KindReact, ID: "p1", Emoji: "👍", Author: bob, On: false},
		{Kind: KindReact, ID: "p1", Emoji: "🎉", Author: ann, On: false},
		{Kind: KindDelete, ID: "p1"}, // the holder's: nothing here
	} {
		p.Apply(e)
	}
	if p.Text != "hello" || p.Edited != 20 || p.Created != 10 || p.Pos != 1 {
		t.Fatalf("post %+v", p)
	}
	if got := fmt.Sprint(p.Reactions); got != "[{🎉 [{b Bob }] 1}]" {
		t.Fatalf("reactions %s", got)
	}
	if orig.Reactions != nil {
		t.Fatal("the first copy changed")
	}

	// A snapshot lists at most MaxReactionUsers: one more taken back by
	// someone not listed still moves the count.
	q := Post{Reactions: []Reaction{{Emoji: "🎉", Users: []User{ann}, Count: 12}}}
	shared := q.Reactions
	q.Apply(Event{Kind: KindReact, Emoji: "🎉", Author: bob, On: false})
	if q.Reactions[0].Total() != 11 || len(q.Reactions[0].Users) != 1 || shared[0].Count != 12 {
		t.Fatalf("after an unlisted user took theirs back: %+v (shared %+v)", q.Reactions, shared)
	}
}
