//go:build js

package session

import (
	"context"
	"errors"
	"io"
	"syscall/js"
)

// fetchHTTP is the HTTP transport's doer in the browser: fetch, with the
// session cookie (same origin), its body read as it streams in (a
// ReadableStream), so net/http stays out of the wasm build. The service
// worker leaves these requests to the network (app/ui/worker.go).
type fetchHTTP struct{}

func newHTTPDoer(Config) httpDoer { return fetchHTTP{} }

func (fetchHTTP) request(ctx context.Context, method, url string, header map[string]string, body []byte) (resp js.Value, abort func(), err error) {
	ac := js.Global().Get("AbortController").New()
	h := map[string]any{}
	for k, v := range header {
		h[k] = v
	}
	opts := map[string]any{
		"method":      method,
		"credentials": "same-origin",
		"cache":       "no-store",
		"headers":     h,
		"signal":      ac.Get("signal"),
	}
	if body != nil {
		opts["body"] = string(body)
	}
	stop := context.AfterFunc(ctx, func() { ac.Call("abort") })
	abort = func() { stop(); ac.Call("abort") }
	resp, err = awaitJS(js.Global().Call("fetch", url, js.ValueOf(opts)))
	if err != nil {
		abort()
		return js.Value{}, nil, err
	}
	return resp, abort, nil
}

func (f fetchHTTP) get(ctx context.Context, url string, header map[string]string) (io.ReadCloser, int, []byte, error) {
	resp, abort, err := f.request(ctx, "GET", url, header, nil)
	if err != nil {
		return nil, 0, nil, err
	}
	status := resp.Get("status").Int()
	if status != 200 {
		text, err := awaitJS(resp.Call("text"))
		abort()
		if err != nil {
			return nil, 0, nil, err
		}
		return nil, status, []byte(text.String()), nil
	}
	return &fetchBody{reader: resp.Get("body").Call("getReader"), abort: abort}, status, nil, nil
}

func (f fetchHTTP) post(ctx context.Context, url, contentType string, body []byte) (int, []byte, error) {
	resp, abort, err := f.request(ctx, "POST", url, map[string]string{"Content-Type": contentType}, body)
	if err != nil {
		return 0, nil, err
	}
	defer abort()
	status := resp.Get("status").Int()
	text, err := awaitJS(resp.Call("text"))
	if err != nil {
		return status, nil, err // a response came: not unreachable
	}
	return status, []byte(text.String()), nil
}

// fetchBody reads a fetch response's body stream.
type fetchBody struct {
	reader js.Value
	abort  func()
	rest   []byte
	done   bool
}

func (b *fetchBody) Read(p []byte) (int, error) {
	for len(b.rest) == 0 {
		if b.done {
			return 0, io.EOF
		}
		r, err := awaitJS(b.reader.Call("read"))
		if err != nil {
			return 0, err
		}
		if r.Get("done").Bool() {
			b.done = true
			continue
		}
		v := r.Get("value")
		chunk := make([]byte, v.Get("length").Int())
		js.CopyBytesToGo(chunk, v)
		b.rest = chunk
	}
	n := copy(p, b.rest)
	b.rest = b.rest[n:]
	return n, nil
}

func (b *fetchBody) Close() error { b.abort(); return nil }

// awaitJS waits for a promise.
func awaitJS(p js.Value) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	ok := js.FuncOf(func(_ js.Value, args []js.Value) any {
		v := js.Undefined()
		if len(args) > 0 {
			v = args[0]
		}
		ch <- result{v: v}
		return nil
	})
	fail := js.FuncOf(func(_ js.Value, args []js.Value) any {
		msg := "rejected"
		if len(args) > 0 {
			msg = args[0].Call("toString").String()
		}
		ch <- result{err: errors.New(msg)}
		return nil
	})
	defer ok.Release()
	defer fail.Release()
	p.Call("then", ok, fail)
	r := <-ch
	return r.v, r.err
}
