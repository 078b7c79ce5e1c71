package netboxsim_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim/simtest"
)

func platform(name string) map[string]any {
	return map[string]any{"name": name, "slug": strings.ToLower(strings.ReplaceAll(name, " ", "-"))}
}

// platformCount reads how many platforms exist, past every fault.
func platformCount(t *testing.T, s *simtest.Server) int {
	t.Helper()
	out := mustDo(t, s, http.MethodGet, "/api/dcim/platforms/?limit=1", nil, http.StatusOK)
	return int(out["count"].(float64))
}

func lastRequest(t *testing.T, s *netboxsim.Server) netboxsim.Request {
	t.Helper()
	// The log entry of a dropped or held request is written while the
	// client already has its error: wait for it.
	deadline := time.Now().Add(2 * time.Second)
	for {
		reqs := s.Requests()
		if len(reqs) > 0 && reqs[len(reqs)-1].Fault != "" || time.Now().After(deadline) {
			require.NotEmpty(t, reqs)
			return reqs[len(reqs)-1]
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func addFaults(t *testing.T, s *simtest.Server, rules string) {
	t.Helper()
	resp, err := http.Post(s.URL+"/__sim/faults", "application/json", strings.NewReader(rules))
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
}

func TestFaultStatusBodies(t *testing.T) {
	s := start(t)
	tests := []struct {
		status      int
		contentType string
		retryAfter  string
		body        string // a substring
	}{
		{403, "application/json", "", `{"detail":"You do not have permission to perform this action."}`},
		{409, "application/json", "", `"detail":"The request could not be completed`},
		{429, "application/json", "1", `{"detail":"Request was throttled. Expected available in 1 second."}`},
		{500, "application/json", "", `"exception":"OperationalError","netbox_version":"4.3.7"`},
		{502, "text/html", "", "<title>502 Bad Gateway</title>"},
		{503, "text/html", "", "<center><h1>503 Service Unavailable</h1></center>"},
		{504, "text/html", "", "<hr><center>nginx</center>"},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			require.NoError(t, s.Sim.AddFault(netboxsim.Fault{Method: "POST", Path: "/api/dcim/platforms/", Status: tt.status, Count: 1}))
			before := platformCount(t, s)
			resp, body := raw(t, s, http.MethodPost, "/api/dcim/platforms/", "Token "+s.Token, platform("Faulted "+tt.body[:3]))
			assert.Equal(t, tt.status, resp.StatusCode)
			assert.Contains(t, resp.Header.Get("Content-Type"), tt.contentType)
			assert.Equal(t, tt.retryAfter, resp.Header.Get("Retry-After"))
			assert.Contains(t, string(body), tt.body)
			assert.Equal(t, before, platformCount(t, s), "a fault before commit writes nothing")
			reqs := s.Sim.Requests()
			got := reqs[len(reqs)-2] // the count read came after
			assert.Equal(t, netboxsim.Request{Method: "POST", Path: "/api/dcim/platforms/", Status: tt.status, Fault: fmt.Sprintf("status %d", tt.status)}, got)
		})
	}
}

func TestFaultRulesOverHTTP(t *testing.T) {
	s := start(t)
	addFaults(t, s, `[{"method": "post,PATCH", "path": "/api/dcim/*/", "status": 503, "count": 2, "retry_after": 7},
		{"path": "/api/dcim/platforms/", "status": 409, "message": "locked"}]`)

	// Two writes get the first rule, then the second rule applies; reads
	// match only the second.
	for range 2 {
		resp, _ := raw(t, s, http.MethodPost, "/api/dcim/platforms/", "Token "+s.Token, platform("A"))
		assert.Equal(t, 503, resp.StatusCode)
		assert.Equal(t, "7", resp.Header.Get("Retry-After"))
	}
	resp, body := raw(t, s, http.MethodGet, "/api/dcim/platforms/", "Token "+s.Token, nil)
	assert.Equal(t, 409, resp.StatusCode)
	assert.JSONEq(t, `{"detail": "locked"}`, string(body))
	// Another path matches neither.
	resp, _ = raw(t, s, http.MethodGet, "/api/ipam/ip-addresses/", "Token "+s.Token, nil)
	assert.Equal(t, 200, resp.StatusCode)

	resp, body = raw(t, s, http.MethodGet, "/__sim/faults", "", nil)
	require.Equal(t, 200, resp.StatusCode)
	var state []map[string]any
	require.NoError(t, json.Unmarshal(body, &state))
	require.Len(t, state, 2)
	assert.EqualValues(t, 2, state[0]["hits"])
	assert.EqualValues(t, 0, state[0]["remaining"])
	assert.EqualValues(t, 1, state[1]["hits"])
	assert.EqualValues(t, -1, state[1]["remaining"])
	assert.Equal(t, "post,PATCH", state[0]["method"])

	resp, _ = raw(t, s, http.MethodDelete, "/__sim/faults", "", nil)
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Empty(t, s.Sim.Faults())
	mustDo(t, s, http.MethodPost, "/api/dcim/platforms/", platform("A"), http.StatusCreated)
}

func TestFaultRulesRejected(t *testing.T) {
	s := start(t)
	for _, body := range []string{
		`[{"path": "/api/"}]`,                     // no fault
		`[{"status": 302}]`,                       // not an error
		`[{"status": 503, "drop": true}]`,         // both
		`[{"delay": "soon"}]`,                     // not a duration
		`[{"status": 503, "after-commit": true}]`, // misspelt key
		`[{"path": "[", "status": 500}]`,          // bad pattern
		`[{"status": 500, "count": -1}]`,
	} {
		resp, err := http.Post(s.URL+"/__sim/faults", "application/json", strings.NewReader(body))
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, body)
	}
	assert.Empty(t, s.Sim.Faults())
	// One rule alone is accepted too.
	addFaults(t, s, `{"status": 500, "delay": "10ms", "count": 1}`)
	assert.Len(t, s.Sim.Faults(), 1)
	assert.Equal(t, 10*time.Millisecond, s.Sim.Faults()[0].Delay)
}

// TestFaultDrop: through the OpenAPI check (simtest) the connection is
// closed, directly on the simulator it is reset. Either way nothing is
// written, unless the fault comes after the commit.
func TestFaultDrop(t *testing.T) {
	plain := httptest.NewServer(netboxsim.New(netboxsim.Options{Token: simtest.DefaultToken}))
	t.Cleanup(plain.Close)
	wrapped := start(t)

	for _, tc := range []struct {
		name string
		url  string
		sim  *netboxsim.Server
	}{{"behind the OpenAPI check", wrapped.URL, wrapped.Sim}, {"plain", plain.URL, plain.Config.Handler.(*netboxsim.Server)}} {
		t.Run(tc.name, func(t *testing.T) {
			s := &simtest.Server{URL: tc.url, Token: simtest.DefaultToken, Sim: tc.sim}
			require.NoError(t, tc.sim.AddFault(
				netboxsim.Fault{Method: "POST", Path: "/api/dcim/platforms/", Drop: true, Count: 1},
				netboxsim.Fault{Method: "POST", Path: "/api/dcim/platforms/", Drop: true, AfterCommit: true, Count: 1},
			))
			before := platformCount(t, s)
			post := func(name string) error {
				req, _ := http.NewRequest(http.MethodPost, tc.url+"/api/dcim/platforms/", strings.NewReader(`{"name":"`+name+`","slug":"`+name+`"}`))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Token "+simtest.DefaultToken)
				resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
				if err == nil {
					resp.Body.Close()
				}
				return err
			}
			err := post("dropped")
			require.Error(t, err)
			assert.True(t, errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET), "%v", err)
			assert.Equal(t, netboxsim.Request{Method: "POST", Path: "/api/dcim/platforms/", Fault: "drop"}, lastRequest(t, tc.sim))
			assert.Equal(t, before, platformCount(t, s))

			require.Error(t, post("committed"))
			assert.Equal(t, netboxsim.Request{Method: "POST", Path: "/api/dcim/platforms/", Fault: "drop after commit (NetBox answered 201)"}, lastRequest(t, tc.sim))
			assert.Equal(t, before+1, platformCount(t, s), "the write went in, only the answer was lost")
		})
	}
}

// TestFaultDelay: a request held past the client's timeout is not served;
// after commit it is, and the client still times out.
func TestFaultDelay(t *testing.T) {
	s := start(t)
	client := &http.Client{Timeout: 100 * time.Millisecond}
	post := func(name string) error {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, s.URL+"/api/dcim/platforms/", strings.NewReader(`{"name":"`+name+`","slug":"`+name+`"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Token "+s.Token)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	require.NoError(t, s.Sim.AddFault(
		netboxsim.Fault{Method: "POST", Delay: time.Minute, Count: 1},
		netboxsim.Fault{Method: "POST", Delay: time.Minute, AfterCommit: true, Count: 1},
		netboxsim.Fault{Method: "POST", Delay: 10 * time.Millisecond, Count: 1},
	))
	start := time.Now()
	err := post("held")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Timeout")
	assert.Equal(t, netboxsim.Request{Method: "POST", Path: "/api/dcim/platforms/", Fault: "delay 1m0s: the client hung up, not served"}, lastRequest(t, s.Sim))
	assert.Zero(t, platformCount(t, s))

	require.Error(t, post("late"))
	assert.Equal(t, netboxsim.Request{Method: "POST", Path: "/api/dcim/platforms/", Fault: "delay 1m0s after commit (NetBox answered 201): the client hung up"}, lastRequest(t, s.Sim))
	assert.Equal(t, 1, platformCount(t, s))
	assert.Less(t, time.Since(start), 10*time.Second, "a held request ends when its client hangs up")

	// A short delay only slows the answer down.
	require.NoError(t, post("slow"))
	reqs := s.Sim.Requests()
	assert.Equal(t, netboxsim.Request{Method: "POST", Path: "/api/dcim/platforms/", Status: 201, Fault: "delay 10ms"}, reqs[len(reqs)-1])
	assert.Equal(t, 2, platformCount(t, s))
}

// TestFaultAfterCommitStatus: the object is created, the client is told
// 502.
func TestFaultAfterCommitStatus(t *testing.T) {
	s := start(t)
	require.NoError(t, s.Sim.AddFault(netboxsim.Fault{Method: "POST", Status: 502, AfterCommit: true, Count: 1}))
	resp, body := raw(t, s, http.MethodPost, "/api/dcim/platforms/", "Token "+s.Token, platform("Lost"))
	assert.Equal(t, 502, resp.StatusCode)
	assert.Contains(t, string(body), "502 Bad Gateway")
	reqs := s.Sim.Requests()
	assert.Equal(t, netboxsim.Request{Method: "POST", Path: "/api/dcim/platforms/", Status: 502, Fault: "status 502 after commit (NetBox answered 201)"}, reqs[len(reqs)-1])
	assert.Equal(t, 1, platformCount(t, s))
}
