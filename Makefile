# make run   — build and start the whole stack on 127.0.0.1:8000 (Ctrl-C stops it)
# make test  — build and run every test against a private PostgreSQL and Redis
# make test-compose — deploy/compose.yaml started in containers (podman) and driven over HTTP
# make bench — benchmarks (see README)
.PHONY: run test test-compose build bench proto clean

run:
	scripts/run-stack

test:
	scripts/test

test-compose:
	scripts/test-compose

build:
	scripts/install-deps
	swift build

bench:
	scripts/bench

proto:
	scripts/gen-proto

clean:
	-scripts/services stop .run/dev
	-scripts/services stop .run/test
	rm -rf .build .run
