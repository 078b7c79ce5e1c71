package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncBuffer is the stdio loop's stdout, read once the loop ended.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestStdioCancelOnNextLine: a cancellation on the line right after its
// request, with no pause between them, ends the request and nothing is
// sent for it. The request must be in flight before the read loop reads
// the next line; were it registered by the goroutine that serves it, the
// cancellation could come first and find nothing to cancel.
func TestStdioCancelOnNextLine(t *testing.T) {
	// The tool holds its request until its context ends; the fallback
	// only bounds a failing run.
	const fallback = 10 * time.Second
	type outcome int
	const (
		notCalled outcome = iota
		cancelled
		ranToEnd
	)
	var mu sync.Mutex
	got := notCalled
	s := mcpserver.NewMCPServer("t", "0", mcpserver.WithToolCapabilities(false))
	s.AddTool(mcp.NewTool("hold"), func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		select {
		case <-ctx.Done():
			mu.Lock()
			got = cancelled
			mu.Unlock()
			return nil, ctx.Err()
		case <-time.After(fallback):
			mu.Lock()
			got = ranToEnd
			mu.Unlock()
			return mcp.NewToolResultText("ran to the end"), nil
		}
	})

	in := strings.NewReader(strings.Join([]string{
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}`,
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`,
		`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"hold","arguments":{}}}`,
		`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":2,"reason":"test"}}`,
		`{"jsonrpc":"2.0","id":3,"method":"ping"}`,
	}, "\n") + "\n")
	out := &syncBuffer{}
	ctx, cancel := context.WithTimeout(context.Background(), 2*fallback)
	defer cancel()
	// At the end of stdin the loop waits for every request it started.
	require.NoError(t, newStdioLoop(s, out).serve(ctx, in))

	ids := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	for sc.Scan() {
		var m struct {
			ID json.RawMessage `json:"id"`
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m), sc.Text())
		ids[string(m.ID)]++
	}
	assert.Equal(t, 1, ids["1"], "initialize answered once: %s", out)
	assert.Equal(t, 1, ids["3"], "ping answered once: %s", out)
	assert.Zero(t, ids["2"], "the cancelled request was answered: %s", out)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, cancelled, got, "the cancellation did not reach the request's context (0: the tool never ran, 2: it ran to the end)")
}
