package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"
)

// httpClient opens a connection per request: the suite's servers close idle
// connections, and a POST sent on one they just closed is not retried.
var httpClient = &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

type response struct {
	status int
	header http.Header
	body   []byte
	media  string
}

func (s *session) send(body []byte) (*response, error) {
	req, err := http.NewRequest(http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	if s.sessionID != "" {
		req.Header.Set("Mcp-Session-Id", s.sessionID)
	}
	if s.version != "" {
		req.Header.Set("MCP-Protocol-Version", s.version)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	media, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	return &response{status: resp.StatusCode, header: resp.Header, body: b, media: media}, nil
}

// message returns the result of the JSON-RPC response with id, from a
// JSON body or a server-sent event stream.
func (r *response) message(id int) (json.RawMessage, error) {
	var bodies [][]byte
	if r.media == "text/event-stream" {
		sc := bufio.NewScanner(bytes.NewReader(r.body))
		sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
		var data []string
		flush := func() {
			if len(data) > 0 {
				bodies = append(bodies, []byte(strings.Join(data, "\n")))
				data = nil
			}
		}
		for sc.Scan() {
			line := sc.Text()
			if line == "" {
				flush()
			} else if v, ok := strings.CutPrefix(line, "data:"); ok {
				data = append(data, strings.TrimPrefix(v, " "))
			}
		}
		flush()
	} else {
		bodies = [][]byte{r.body}
	}
	for _, b := range bodies {
		var m struct {
			ID     *int            `json:"id"`
			Result json.RawMessage `json:"result"`
			Error  *struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if json.Unmarshal(b, &m) != nil || m.ID == nil || *m.ID != id {
			continue
		}
		if m.Error != nil {
			return nil, fmt.Errorf("JSON-RPC error %d: %s", m.Error.Code, m.Error.Message)
		}
		return m.Result, nil
	}
	return nil, fmt.Errorf("no JSON-RPC response with id %d", id)
}
