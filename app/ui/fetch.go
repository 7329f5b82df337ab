package ui

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"livefeed/shared/protocol"
)

// The methods and statuses of the session API, as net/http names them: the
// wasm app keeps net/http out of its own imports (see app/cmd/wasm's test).
const (
	methodGet          = "GET"
	methodPost         = "POST"
	methodDelete       = "DELETE"
	methodPatch        = "PATCH"
	statusOK           = 200
	statusUnauthorized = 401
)

// errNetwork is returned when the request did not reach the server.
var errNetwork = errors.New("network error")

// apiResponse is an HTTP response of the session API.
type apiResponse struct {
	Status int
	Body   []byte
}

// apiError decodes {"error":{"code":...,"message":...}}.
func (r apiResponse) apiError() *protocol.Error {
	var v struct {
		Error *protocol.Error `json:"error"`
	}
	if json.Unmarshal(r.Body, &v) == nil && v.Error != nil && v.Error.Message != "" {
		return v.Error
	}
	return &protocol.Error{Code: "http_" + fmt.Sprint(r.Status), Message: fmt.Sprintf("The server answered %d. Please try again.", r.Status)}
}

// fetchAPI calls the same-origin API with the browser's fetch (keeping
// net/http's client out of the wasm). It blocks: call it from a goroutine
// (ctx.Async), never from the UI goroutine.
func fetchAPI(method, path string, body any) (apiResponse, error) {
	headers := map[string]any{"Accept": "application/json"}
	opts := map[string]any{
		"method":      method,
		"credentials": "same-origin",
		"cache":       "no-store",
		"headers":     headers,
	}
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return apiResponse{}, err
		}
		headers["Content-Type"] = "application/json"
		opts["body"] = string(b)
	}
	resp, err := await(func() app.Value { return app.Window().Call("fetch", path, opts) })
	if err != nil {
		return apiResponse{}, fmt.Errorf("%w: %v", errNetwork, err)
	}
	status := resp.Get("status").Int()
	text, err := await(func() app.Value { return resp.Call("text") })
	if err != nil {
		return apiResponse{Status: status}, fmt.Errorf("%w: %v", errNetwork, err)
	}
	return apiResponse{Status: status, Body: []byte(text.String())}, nil
}

// await waits for the promise start returns.
func await(start func() app.Value) (v app.Value, err error) {
	type result struct {
		v   app.Value
		err error
	}
	ch := make(chan result, 1)
	onOK := app.FuncOf(func(_ app.Value, args []app.Value) any {
		var v app.Value = app.Undefined()
		if len(args) > 0 {
			v = args[0]
		}
		ch <- result{v: v}
		return nil
	})
	onErr := app.FuncOf(func(_ app.Value, args []app.Value) any {
		msg := "rejected"
		if len(args) > 0 {
			msg = args[0].Call("toString").String()
		}
		ch <- result{err: errors.New(msg)}
		return nil
	})
	defer onOK.Release()
	defer onErr.Release()
	func() {
		defer func() {
			if r := recover(); r != nil {
				ch <- result{err: fmt.Errorf("%v", r)}
			}
		}()
		start().Call("then", onOK, onErr)
	}()
	r := <-ch
	return r.v, r.err
}
