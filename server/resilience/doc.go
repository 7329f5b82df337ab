// Package resilience holds fault-injection tests of Livefeed as a whole: a
// black-holed network, throttled clients, reconnect storms after a restart, and
// a chaos loop of SIGKILLs. Its code is all in _test.go files; see
// server/internal/faultproxy for the proxy they use.
package resilience
