package harness

import "testing"

// The REST tests evaluate cached policies with this matcher, so it must follow IAM.
func TestGlobFollowsIAM(t *testing.T) {
	for _, c := range []struct {
		pattern, text string
		want          bool
	}{
		{"a/GET/orders/*", "a/GET/orders/42/x", true},
		{"a/GET/*", "a/GET/", true},
		{"a/GET/", "a/GET/x", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"a/?", "a/é", true},
		// A pattern '*' meeting a literal '*' in the text is still a wildcard.
		{"a*b", "a*xb", true},
		{"GET/*/b", "GET/*x/b", true},
		{"GET/x", "GET/*", false},
	} {
		if got := glob(c.pattern, c.text); got != c.want {
			t.Errorf("glob(%q, %q) = %v, want %v", c.pattern, c.text, got, c.want)
		}
	}
}
