package hub

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"hash/maphash"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"livefeed/shared/protocol"
)

// Presence across the nodes of a cluster.
//
// Each node publishes, on core NATS (not JetStream: presence is ephemeral
// and must not grow the log), the users subscribed on it to each feed it
// serves, on the subject PresenceSubject+"."+feed:
//
//   - when its local presence of the feed changes (batched every
//     PresenceInterval),
//   - every PresenceBeat in any case (a heartbeat), and
//   - at once when another node starts following the feed and asks for it.
//
// A node follows (subscribes to) only the feeds that have subscribers on it
// and keeps, per feed and per other node, the last list it received, until
// PresenceExpiry after it received it. So a user connected to node 1 is
// online on node 2 within about one PresenceInterval, and when node 1 dies
// without a word its users drop out on the other nodes within
// PresenceDropAfter. A node that shuts down cleanly says so (an empty list)
// and its users drop out at the next announcement.
//
// Expiry uses the receiver's clock only (receipt time + the sender's TTL),
// so clock skew between machines does not matter.
const (
	// PresenceBeat is how often a node re-announces its users of each
	// feed to the other nodes even when nothing changed.
	PresenceBeat = time.Second
	// PresenceExpiry is how long a node's announcement stays valid: a
	// node that misses about three beats is considered gone.
	PresenceExpiry = 3 * PresenceBeat
	// PresenceDropAfter bounds how long after its node dies (crash, power
	// loss, network partition) a user is still shown online by the other
	// nodes: the expiry plus one announcement batch (plus the network
	// latency between the nodes).
	PresenceDropAfter = PresenceExpiry + PresenceInterval
	// PresenceSubject is the NATS subject prefix of presence messages.
	PresenceSubject = "livefeed.presence"
	// MaxSharedUsers caps the users one node lists for one feed (so a
	// message stays well under NATS's 1 MB payload limit with typical
	// names, and under the server's limit always: a longer list is cut
	// to fit); the announcement's count still includes the others. As it
	// is far above protocol.MaxPresenceList, the merged list every node
	// shows is exact; only the count may count twice a user who is among
	// the unlisted on one node and also online on another.
	MaxSharedUsers = 5000
)

// inQueue is how many presence messages may wait for the hub's loop; NATS
// drops messages beyond it (the next beat repairs the loss).
const inQueue = 4096

// ClusterConfig configures a hub that shares presence with other nodes.
type ClusterConfig struct {
	// Conn is the connection to the NATS cluster the nodes share. It stays
	// owned by the caller, who must keep it open until Run has returned.
	Conn *nats.Conn
	// Node names this node in logs; a random suffix makes the id unique
	// per process, so a restarted node is a new one.
	Node string
	// Subject overrides PresenceSubject (e.g. several Livefeed clusters on
	// one NATS cluster, or tests).
	Subject string
	Logger  *slog.Logger
}

// NewCluster returns an empty hub whose presence includes the users on the
// other nodes that share cfg.Conn's NATS cluster (and subject).
func NewCluster(cfg ClusterConfig) *Hub {
	if cfg.Subject == "" {
		cfg.Subject = PresenceSubject
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	var b [6]byte
	rand.Read(b[:])
	h := New()
	h.cl = &cluster{
		p:      h.pres,
		nc:     cfg.Conn,
		node:   cfg.Node + "-" + hex.EncodeToString(b[:]),
		prefix: cfg.Subject + ".",
		lg:     cfg.Logger.With("component", "presence"),
		in:     make(chan *nats.Msg, inQueue),
		wakec:  make(chan struct{}, 1),
		subs:   map[string]*nats.Subscription{},
		shared: map[string]bool{},
		seed:   maphash.MakeSeed(),
		own:    map[string]uint64{},
	}
	return h
}

// NodeID returns the id under which this hub shares presence ("" for a
// single-node hub).
func (h *Hub) NodeID() string {
	if h.cl == nil {
		return ""
	}
	return h.cl.node
}

// beat is a presence message between nodes. It lists all of a node's
// users of a feed (up to MaxSharedUsers), which the other nodes need to
// count each user once; it is sent once per PresenceInterval at most, and
// receivers skip decoding one that repeats the node's previous beat, so
// its cost is O(users) per node and change, not per subscriber.
type beat struct {
	Node   string          `json:"node"`
	Online []protocol.User `json:"online"` // empty: none (any more)
	// Count is how many users the node has in the feed, listed or not
	// (absent from older nodes: as many as listed).
	Count int   `json:"count,omitempty"`
	TTLMS int64 `json:"ttl_ms"` // valid this long after receipt
	Want  bool  `json:"want,omitempty"`
}

// remoteUsers is what one other node last announced for a feed.
type remoteUsers struct {
	users   map[string]protocol.User // by id
	count   int                      // its users, listed or not
	sum     uint64                   // hash of the announcement
	ttl     time.Duration
	expires time.Time
}

// unlisted returns how many of the node's users its announcement counted
// without listing them.
func (r remoteUsers) unlisted() int { return max(0, r.count-len(r.users)) }

// dropRemote forgets what node announced for the feed.
func (f *feedPresence) dropRemote(node string) {
	for id := range f.remote[node].users {
		f.all.remove(id)
	}
	delete(f.remote, node)
	f.dirty = true
}

// setRemote replaces what node announced for the feed with users.
func (f *feedPresence) setRemote(node string, online []protocol.User, r remoteUsers) {
	old := f.remote[node]
	r.users = make(map[string]protocol.User, len(online))
	for _, u := range online {
		if _, dup := r.users[u.ID]; dup || u.ID == "" {
			continue
		}
		r.users[u.ID] = u
		if _, had := old.users[u.ID]; !had {
			f.all.add(u)
			f.dirty = true
		}
	}
	for id := range old.users {
		if _, still := r.users[id]; !still {
			f.all.remove(id)
			f.dirty = true
		}
	}
	if r.count != old.count {
		f.dirty = true
	}
	f.remote[node] = r
}

// cluster is the cluster side of a hub's presence. Apart from wake, its
// methods run only in the hub's Run goroutine, so its own fields need no
// lock; the presence it shares is read and changed under p.mu, which is
// released before a message goes to NATS.
type cluster struct {
	p      *presence
	nc     *nats.Conn
	node   string
	prefix string
	lg     *slog.Logger
	in     chan *nats.Msg
	wakec  chan struct{}

	subs     map[string]*nats.Subscription // feeds followed in the cluster
	shared   map[string]bool               // feeds whose last shared list was not empty
	lastBeat time.Time
	seed     maphash.Seed      // for remoteUsers.sum and own
	own      map[string]uint64 // feed -> hash of this node's last announcement
}

// wake makes Run follow new feeds without waiting for the next tick.
func (c *cluster) wake() {
	select {
	case c.wakec <- struct{}{}:
	default:
	}
}

// out is one announcement to publish.
type out struct {
	feed  string
	users []protocol.User
	count int
	want  bool
}

// localOut returns the announcement of f's local users.
func localOut(feed string, f *feedPresence, want bool) out {
	return out{feed: feed, users: f.local.first(MaxSharedUsers), count: f.local.len(), want: want}
}

func (c *cluster) publish(o out) {
	encode := func() ([]byte, error) {
		return json.Marshal(beat{Node: c.node, Online: o.users, Count: o.count, TTLMS: PresenceExpiry.Milliseconds(), Want: o.want})
	}
	b, err := encode()
	// Over the NATS server's payload limit (1 MB by default; long names
	// can get there below MaxSharedUsers) the list is cut, keeping the
	// first users by name (those the merged presence shows) and the count.
	for limit := c.nc.MaxPayload(); err == nil && limit > 0 && int64(len(b)) > limit && len(o.users) > 0; {
		o.users = o.users[:int64(len(o.users))*limit/int64(len(b))*9/10]
		b, err = encode()
	}
	if err != nil {
		return
	}
	// While disconnected, nats.go buffers the message and sends it on
	// reconnect; an error here only means the connection is closed.
	if err := c.nc.Publish(c.prefix+o.feed, b); err != nil {
		c.lg.Debug("presence publish failed", "feed", o.feed, "err", err)
		return
	}
	c.own[o.feed] = maphash.Bytes(c.seed, b) // it comes back to us too
	if len(o.users) > 0 {
		c.shared[o.feed] = true
	} else {
		delete(c.shared, o.feed)
	}
}

// follow subscribes to the presence of feeds that gained subscribers on
// this node (announcing ours and asking the others for theirs), and stops
// following feeds that have none any more (telling the others ours are
// gone).
func (c *cluster) follow() {
	var start []out
	var stop []string
	c.p.mu.Lock()
	for name, f := range c.p.feeds {
		if _, ok := c.subs[name]; !ok {
			start = append(start, localOut(name, f, true))
		}
	}
	for name := range c.subs {
		if _, ok := c.p.feeds[name]; !ok {
			stop = append(stop, name)
		}
	}
	c.p.mu.Unlock()
	for _, name := range stop {
		c.subs[name].Unsubscribe()
		delete(c.subs, name)
		if c.shared[name] {
			c.publish(out{feed: name})
		}
		delete(c.own, name)
	}
	for _, o := range start {
		sub, err := c.nc.ChanSubscribe(c.prefix+o.feed, c.in)
		if err != nil {
			c.lg.Warn("cannot follow presence", "feed", o.feed, "err", err)
			continue
		}
		c.subs[o.feed] = sub
		c.publish(o)
	}
}

// tick expires what other nodes announced too long ago, shares local
// changes (all of them every PresenceBeat) and keeps the followed feeds in
// step with the local ones.
func (c *cluster) tick(now time.Time) {
	full := now.Sub(c.lastBeat) >= PresenceBeat-PresenceInterval/2
	if full {
		c.lastBeat = now
	}
	var outs []out
	c.p.mu.Lock()
	for name, f := range c.p.feeds {
		for node, r := range f.remote {
			if now.After(r.expires) {
				f.dropRemote(node)
			}
		}
		if _, followed := c.subs[name]; followed && (f.changed || full) {
			f.changed = false
			outs = append(outs, localOut(name, f, false))
		}
	}
	c.p.mu.Unlock()
	for _, o := range outs {
		c.publish(o)
	}
	c.follow()
}

// receive applies another node's announcement.
func (c *cluster) receive(m *nats.Msg, now time.Time) {
	feed, ok := strings.CutPrefix(m.Subject, c.prefix)
	if !ok {
		return
	}
	// A node repeats its announcement every PresenceBeat: when it is the
	// one a node sent last, only its expiry moves.
	sum := maphash.Bytes(c.seed, m.Data)
	if sum == c.own[feed] {
		return // our own
	}
	c.p.mu.Lock()
	if f := c.p.feeds[feed]; f != nil {
		for node, r := range f.remote {
			if r.sum == sum {
				r.expires = now.Add(r.ttl)
				f.remote[node] = r
				c.p.mu.Unlock()
				return
			}
		}
	}
	c.p.mu.Unlock()
	var b beat
	if err := json.Unmarshal(m.Data, &b); err != nil || b.Node == "" {
		c.lg.Debug("ignoring a bad presence message", "subject", m.Subject, "err", err)
		return
	}
	if b.Node == c.node {
		return // our own
	}
	ttl := time.Duration(b.TTLMS) * time.Millisecond
	if ttl <= 0 || ttl > time.Minute {
		ttl = PresenceExpiry
	}
	var reply *out
	c.p.mu.Lock()
	f := c.p.feeds[feed]
	if f == nil {
		c.p.mu.Unlock()
		return // nobody follows it here (any more)
	}
	if len(b.Online) == 0 {
		if _, had := f.remote[b.Node]; had {
			f.dropRemote(b.Node)
		}
	} else {
		r := remoteUsers{count: b.Count, sum: sum, ttl: ttl, expires: now.Add(ttl)}
		if b.Want {
			r.sum = 0 // answer it again if it comes again
		}
		f.setRemote(b.Node, b.Online, r)
	}
	if b.Want && f.local.len() > 0 {
		o := localOut(feed, f, false)
		reply = &o
	}
	c.p.mu.Unlock()
	if reply != nil {
		c.publish(*reply)
	}
}

// leave tells the other nodes this node's users are gone and stops
// following presence.
func (c *cluster) leave() {
	for name, sub := range c.subs {
		sub.Unsubscribe()
		delete(c.subs, name)
	}
	for name := range c.shared {
		c.publish(out{feed: name})
	}
	if c.nc.IsConnected() {
		c.nc.FlushTimeout(time.Second)
	}
}
