package protocol

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestEncodedLen: PostLen and SnapshotLen are exactly what Encode writes,
// for posts with every kind of character JSON escapes.
func TestEncodedLen(t *testing.T) {
	alphabet := []string{"a", "<", ">", "&", `"`, `\`, "\n", "\t", "\x00", "\x1f", "é", "名", "😀", "\u2028", "\u2029", "\xff", "\u0301"}
	rng := rand.New(rand.NewPCG(1, 2))
	str := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	for i := range 500 {
		p := Post{ID: "p" + str(3), Feed: "main", Author: User{ID: str(5), Name: str(rng.IntN(40))},
			Text: str(rng.IntN(300)), Created: rng.Int64N(1 << 45), Pos: rng.Uint64()}
		if i%2 == 0 {
			p.Edited = rng.Int64N(1 << 45)
		}
		for e := range rng.IntN(len(Reactions) + 1) {
			r := Reaction{Emoji: Reactions[e]}
			for range rng.IntN(4) {
				r.Users = append(r.Users, User{ID: str(4), Name: str(6)})
			}
			if i%3 == 0 {
				r.Count = rng.IntN(5000)
			}
			if i%5 == 0 && len(r.Users) == 0 {
				r.Users = []User{}
			}
			p.Reactions = append(p.Reactions, r)
		}
		b, _ := json.Marshal(p)
		if got := PostLen(p); got != len(b) {
			t.Fatalf("PostLen = %d, encoded %d: %s", got, len(b), b)
		}
		s := Snapshot{Feed: "f-" + str(2), Pos: rng.Uint64(), Posts: []Post{p, p}, Truncated: i%2 == 1}
		want := len(MustEncode(s))
		if got := SnapshotLen(s.Feed, s.Pos, s.Truncated) + 2*PostLen(p) + 1; got != want {
			t.Fatalf("snapshot length %d, encoded %d", got, want)
		}
	}
	if got := SnapshotLen("main", 0, false); got != len(MustEncode(Snapshot{Feed: "main", Posts: []Post{}})) {
		t.Fatalf("empty snapshot: %d", got)
	}
}
