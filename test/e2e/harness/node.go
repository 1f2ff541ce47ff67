package harness

import (
	"fmt"
	"os"
	"path/filepath"
)

// NodeHandler is the TypeScript build's Lambda bundle (authorizer-ts/dist/handler.mjs) run
// by Node 22 (scripts/tools-node.sh) through authorizer-ts/scripts/lambda-runtime.mjs, a
// Runtime API client doing what the nodejs22.x runtime's interface client does.
type NodeHandler struct {
	Node    string // the node binary
	Runtime string // the Runtime API client script
	Handler string // the bundle
}

// LocateNode finds Node and the bundle (E2E_NODE, E2E_NODE_HANDLER override them).
func LocateNode(root string) (NodeHandler, error) {
	n := NodeHandler{
		Node:    envOr("E2E_NODE", filepath.Join(cacheDir(), "node-current", "bin", "node")),
		Runtime: filepath.Join(root, "authorizer-ts", "scripts", "lambda-runtime.mjs"),
		Handler: envOr("E2E_NODE_HANDLER", filepath.Join(root, "authorizer-ts", "dist", "handler.mjs")),
	}
	if !executable(n.Node) {
		return n, fmt.Errorf("%s is missing: run scripts/tools-node.sh (or set E2E_NODE)", n.Node)
	}
	for _, f := range []string{n.Runtime, n.Handler} {
		if !fileExists(f) {
			return n, fmt.Errorf("%s is missing: run `npm ci && npm run build` in authorizer-ts (make ts-test does)", f)
		}
	}
	return n, nil
}

// Command is what the emulator starts instead of the Rust bootstrap.
func (n NodeHandler) Command() []string { return []string{n.Node, n.Runtime, n.Handler} }

func fileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir()
}
