// Package deploy holds what it takes to run irbot outside `go run`: the
// container image (Dockerfile), the scale-out docker-compose topology's
// scripts, the Slack app manifest and example configuration. Its only Go code
// is compose_test.go, which parses those files (there is no Docker engine in
// CI) and checks that services, ports, variables, scopes and URLs agree with
// each other and with the contract in the README.
package deploy
