# Developer entry points. `make` alone prints this list (help is the default
# goal, so a bare `make` never starts a long build).
#
#   make run          build (release) and run Gateway, AuthService and
#                     ContentService with local PostgreSQL + Redis (.local/)
#   make test         build and run the tests against throwaway stores;
#                     SWIFT_TEST_ARGS="--filter X" narrows swift test
#   make system-test  only the Python system tests (Tests/system), with their
#                     own throwaway stores; SYSTEM_TEST_ARGS="-k X" narrows
#   make bench        run Benchmarks/bench.sh
#   make bench-scale  run Benchmarks/bench-scale.sh: the same requests on stores of
#                     a million users, five million events, 100k sessions
#   make build        swift build -c release
#   make clean-state  delete .local/ (database, Redis data, dev key); stops nothing
#   make compose-test build the images without a registry, run the compose
#                     stack, smoke-test it and kill replicas under load

SHELL := /bin/bash
.DEFAULT_GOAL := help
.PHONY: help run test system-test bench bench-scale build clean-state compose-test

help:
	@echo "Targets:"
	@echo "  run          build (release) and run the three services with local PostgreSQL + Redis in .local/"
	@echo "  test         build and run the tests against throwaway stores (SWIFT_TEST_ARGS for swift test)"
	@echo "  system-test  only the Python system tests (Tests/system) on throwaway stores (SYSTEM_TEST_ARGS for pytest)"
	@echo "  bench        run Benchmarks/bench.sh"
	@echo "  bench-scale  run Benchmarks/bench-scale.sh (requests at a million users, five million audit events, 100k sessions)"
	@echo "  build        swift build -c release"
	@echo "  clean-state  delete .local/ (database, Redis data, JWT dev key); stops nothing"
	@echo "  compose-test build images locally, run compose/compose.yaml, smoke + replica-failure tests, tear down"

run:
	@bash scripts/run.sh

test:
	@bash scripts/test.sh

system-test:
	@bash scripts/test.sh system

bench:
	@bash Benchmarks/bench.sh

bench-scale:
	@bash Benchmarks/bench-scale.sh

build:
	swift build -c release

clean-state:
	@bash scripts/clean-state.sh

compose-test:
	@bash scripts/compose-test.sh
