package testnode

import (
	"net"
	"net/http/httptest"
	"testing"
	"time"

	"livefeed/server/node"
)

// Restartable serves nodes on one fixed address and data directory, so
// clients can reconnect to the "same server" after a restart.
type Restartable struct {
	t    *testing.T
	Dir  string
	Addr string
	TN   *Node // the node now serving
}

// NewRestartable starts a node on a free loopback address.
func NewRestartable(t *testing.T, mod func(*node.Config)) *Restartable {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &Restartable{t: t, Dir: t.TempDir(), Addr: l.Addr().String()}
	l.Close()
	r.Start(mod)
	return r
}

// Start starts a node (after TN.Stop) on the address and directory.
func (r *Restartable) Start(mod func(*node.Config)) {
	tn := Start(r.t, r.Dir, mod)
	tn.Srv.Close() // replace the random-port server with one on our address
	var l net.Listener
	var err error
	for i := 0; i < 100; i++ {
		if l, err = net.Listen("tcp", r.Addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		r.t.Fatal(err)
	}
	tn.Srv = httptest.NewUnstartedServer(tn.Node.Handler)
	tn.Srv.Listener.Close()
	tn.Srv.Listener = l
	tn.Srv.Start()
	r.TN = tn
}

// URL is the server's base URL.
func (r *Restartable) URL() string { return "http://" + r.Addr }
