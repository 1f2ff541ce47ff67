package bench

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// The bootstrap's side of one invocation, as lambda_runtime makes it: next, then response.
func TestRuntimeAPIHandsOutOneEventAndRecordsTheResponse(t *testing.T) {
	api := NewRuntimeAPI([]byte(`{"version":"2.0"}`))
	srv := httptest.NewServer(api)
	defer srv.Close()
	defer api.Close()

	resp, err := http.Get(srv.URL + "/2018-06-01/runtime/invocation/next")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != `{"version":"2.0"}` || resp.Header.Get("Lambda-Runtime-Aws-Request-Id") != "bench-1" {
		t.Fatalf("next: %s %v", body, resp.Header)
	}
	if resp.Header.Get("Lambda-Runtime-Deadline-Ms") == "" || api.Ready.IsZero() {
		t.Fatal("next: no deadline header or no ready mark")
	}
	select {
	case <-api.Done():
		t.Fatal("done before the response")
	default:
	}

	// A second next waits: the process is killed before another invocation.
	waited := make(chan struct{})
	go func() {
		r, err := http.Get(srv.URL + "/2018-06-01/runtime/invocation/next")
		if err == nil {
			r.Body.Close()
		}
		close(waited)
	}()

	resp, err = http.Post(srv.URL+"/2018-06-01/runtime/invocation/bench-1/response", "application/json",
		bytes.NewReader([]byte(`{"isAuthorized":true}`)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("response: HTTP %d", resp.StatusCode)
	}
	select {
	case <-api.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("not done after the response")
	}
	if string(api.Response) != `{"isAuthorized":true}` || api.Answered.Before(api.Ready) {
		t.Errorf("recorded %s at %v (ready %v)", api.Response, api.Answered, api.Ready)
	}
	select {
	case <-waited:
		t.Fatal("a second next was answered")
	default:
	}
	api.Close()
	<-waited
}

func TestRuntimeAPIRecordsAnError(t *testing.T) {
	api := NewRuntimeAPI([]byte(`{}`))
	srv := httptest.NewServer(api)
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/2018-06-01/runtime/init/error", "application/json",
		bytes.NewReader([]byte(`{"errorType":"Init"}`)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	<-api.Done()
	if api.Error != `{"errorType":"Init"}` || !api.Answered.IsZero() {
		t.Errorf("error %q, answered %v", api.Error, api.Answered)
	}
}
