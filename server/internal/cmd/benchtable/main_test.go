package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestTable(t *testing.T) {
	in := `{"scenario":"a","clients":1000,"connected":1000,"feeds":1,"payload_bytes":100,"rate":10,"deliveries_per_sec":10168.4,"latency_ms":{"p50":9.47,"p99":20.99},"server":{"cpu_s_per_million_deliveries":14.2,"cpu_percent":14.4}}
{"scenario":"b","clients":5000,"connected":4990,"feeds":100,"payload_bytes":1000,"rate":200,"lost":3,"latency_ms":{"p50":1,"p99":2},"server":{"other_cpu_percent":55}}
`
	rs, err := read(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	write(&b, rs)
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines, want a header, a rule and 2 rows:\n%s", len(lines), b.String())
	}
	if want := "| 1000 | 1 | 100 B | 10 | 10168 | 9 | 21 | 14.2 µs | 14 % | – |"; lines[2] != want {
		t.Errorf("row 1:\n got %s\nwant %s", lines[2], want)
	}
	for _, s := range []string{"1 KB", "3 lost", "4990 of 5000 connected", "busy: others 55 %"} {
		if !strings.Contains(lines[3], s) {
			t.Errorf("row 2 %q lacks %q", lines[3], s)
		}
	}
}

func TestBadInput(t *testing.T) {
	_, err := read(strings.NewReader(`{"clients":1}` + "\n{not json"))
	if err == nil || !strings.Contains(err.Error(), "result 2") {
		t.Fatalf("err = %v, want one naming result 2", err)
	}
}
