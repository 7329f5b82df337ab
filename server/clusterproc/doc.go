// Package clusterproc tests Livefeed as an operator deploys it on a
// cluster: three real nats-server processes (built from the nats-server
// module at the version in go.mod, see server/internal/natsproc) clustered
// on loopback, and real livefeed processes on them. It covers nodes
// started together with their cluster, a NATS server killed while posting,
// the bound on the log follower's stall, cluster-wide retention, a log
// wiped under its clients (the epoch) and a rolling restart under load.
// Its code is all in _test.go files; every run is bounded and kills its
// processes when it ends.
package clusterproc
