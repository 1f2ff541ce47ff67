package harness

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// The API as API Gateway names it in ARNs (any values do: the authorizer reads only the
// method and path, and the stage prefix it echoes in IAM policies).
const (
	HTTPRouteArnPrefix = "arn:aws:execute-api:eu-west-1:123456789012:e2ehttpapi/$default"
	RESTMethodArnStage = "arn:aws:execute-api:eu-west-1:123456789012:e2erestapi/prod"
)

// HTTPv2Event is an HTTP API (payload 2.0) REQUEST authorizer event; authorization is the
// Authorization header's value, left out when empty.
func HTTPv2Event(method, path, authorization string) map[string]any {
	headers := map[string]any{"host": "e2ehttpapi.execute-api.eu-west-1.amazonaws.com", "user-agent": "e2e"}
	event := map[string]any{
		"version":        "2.0",
		"type":           "REQUEST",
		"routeArn":       HTTPRouteArnPrefix + "/" + method + path,
		"routeKey":       method + " " + path,
		"rawPath":        path,
		"rawQueryString": "",
		"headers":        headers,
		"requestContext": map[string]any{
			"accountId":  "123456789012",
			"apiId":      "e2ehttpapi",
			"domainName": "e2ehttpapi.execute-api.eu-west-1.amazonaws.com",
			"http": map[string]any{
				"method": method, "path": path, "protocol": "HTTP/1.1",
				"sourceIp": "203.0.113.9", "userAgent": "e2e",
			},
			"requestId": "e2e-v2",
			"routeKey":  method + " " + path,
			"stage":     "$default",
			"timeEpoch": time.Now().UnixMilli(),
		},
	}
	if authorization != "" {
		headers["authorization"] = authorization
		event["identitySource"] = []string{authorization}
	}
	return event
}

// RESTTokenEvent is a REST API TOKEN authorizer event.
func RESTTokenEvent(method, path, authorizationToken string) map[string]any {
	return map[string]any{
		"type":               "TOKEN",
		"authorizationToken": authorizationToken,
		"methodArn":          RESTMethodArnStage + "/" + method + path,
	}
}

// RESTRequestEvent is a REST API REQUEST authorizer event; authorization is the
// Authorization header's value, left out when empty.
func RESTRequestEvent(method, path, authorization string) map[string]any {
	headers := map[string]any{"Host": "e2erestapi.execute-api.eu-west-1.amazonaws.com"}
	if authorization != "" {
		headers["Authorization"] = authorization
	}
	return map[string]any{
		"type":                  "REQUEST",
		"methodArn":             RESTMethodArnStage + "/" + method + path,
		"resource":              path,
		"path":                  path,
		"httpMethod":            method,
		"headers":               headers,
		"queryStringParameters": map[string]any{},
		"pathParameters":        map[string]any{},
		"stageVariables":        map[string]any{},
		"requestContext": map[string]any{
			"accountId": "123456789012", "apiId": "e2erestapi", "httpMethod": method,
			"path": "/prod" + path, "requestId": "e2e-rest", "stage": "prod",
		},
	}
}

// SimpleResponse is an HTTP API simple response.
type SimpleResponse struct {
	IsAuthorized bool           `json:"isAuthorized"`
	Context      map[string]any `json:"context"`
}

// Statement is one IAM policy statement.
type Statement struct {
	Action   []string `json:"Action"`
	Effect   string   `json:"Effect"`
	Resource []string `json:"Resource"`
}

// IAMResponse is a REST API (and HTTP API payload 1.0) authorizer response.
type IAMResponse struct {
	PrincipalID    string `json:"principalId"`
	PolicyDocument struct {
		Version   string      `json:"Version"`
		Statement []Statement `json:"Statement"`
	} `json:"policyDocument"`
	Context map[string]any `json:"context"`
}

// DecodeStrict decodes JSON into v and fails on members v does not name, so a test
// notices a response shape it did not expect.
func DecodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%v in %s", err, body)
	}
	return nil
}

// Allows evaluates the IAM policy for one method ARN as API Gateway does: an explicit
// Deny wins, else any Allow, else denied.
func (r IAMResponse) Allows(methodArn string) bool {
	allowed := false
	for _, s := range r.PolicyDocument.Statement {
		if !hasInvoke(s.Action) {
			continue
		}
		for _, res := range s.Resource {
			if glob(res, methodArn) {
				if s.Effect == "Deny" {
					return false
				}
				if s.Effect == "Allow" {
					allowed = true
				}
			}
		}
	}
	return allowed
}

func hasInvoke(actions []string) bool {
	for _, a := range actions {
		if a == "execute-api:Invoke" || a == "execute-api:*" || a == "*" {
			return true
		}
	}
	return false
}

// glob is IAM resource matching: '*' any run of characters ('/' and the empty run
// included), '?' exactly one character, anything else itself. A '*' or '?' in the text is
// an ordinary character, so a pattern '*' meeting one is still a wildcard.
func glob(pattern, text string) bool {
	pr, tr := []rune(pattern), []rune(text)
	p, t := 0, 0
	star, mark := -1, 0
	for t < len(tr) {
		switch {
		case p < len(pr) && pr[p] == '*':
			star, mark = p, t
			p++
		case p < len(pr) && (pr[p] == '?' || pr[p] == tr[t]):
			p++
			t++
		case star >= 0:
			p = star + 1
			mark++
			t = mark
		default:
			return false
		}
	}
	for p < len(pr) && pr[p] == '*' {
		p++
	}
	return p == len(pr)
}

// Verdict is a decision read back from any response shape.
type Verdict struct {
	Allowed   bool
	Reason    string
	Principal string
	Stale     bool
	Revision  int64
}

// ReadVerdict reads the decision out of a response: a simple response for HTTP API 2.0,
// else an IAM policy evaluated for methodArn.
func ReadVerdict(body []byte, methodArn string) (Verdict, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(body, &probe); err != nil {
		return Verdict{}, fmt.Errorf("response is not a JSON object: %v: %s", err, body)
	}
	var v Verdict
	var ctx map[string]any
	if _, ok := probe["isAuthorized"]; ok {
		var r SimpleResponse
		if err := DecodeStrict(body, &r); err != nil {
			return v, err
		}
		v.Allowed, ctx = r.IsAuthorized, r.Context
		v.Principal, _ = ctx["principal"].(string)
	} else {
		var r IAMResponse
		if err := DecodeStrict(body, &r); err != nil {
			return v, err
		}
		v.Allowed, ctx = r.Allows(methodArn), r.Context
		v.Principal = r.PrincipalID
	}
	v.Reason, _ = ctx["reason"].(string)
	v.Stale, _ = ctx["stale"].(bool)
	if rev, ok := ctx["policyRevision"].(float64); ok {
		v.Revision = int64(rev)
	}
	return v, nil
}

// EventArn is the route or method ARN of an authorizer event.
func EventArn(event map[string]any) string {
	if arn, ok := event["routeArn"].(string); ok {
		return arn
	}
	arn, _ := event["methodArn"].(string)
	return arn
}
