package faultproxy

import (
	"net"
	"sync"
)

// NewOn listens on listen (host:port; port 0 picks a free one) and forwards
// to target. New is NewOn("127.0.0.1:0", target).
func NewOn(listen, target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.cond = sync.NewCond(&p.mu)
	go p.accept()
	return p, nil
}
