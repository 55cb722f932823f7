# netfleet.tuning: one entry point for the demo, the tests and their parts.
#   make demo   the main job: a local fleet under JSON load, tuned and verified (needs root)
#   make test   everything CI runs: lint, promtool, sanity, unit tests, molecule scenarios (needs root)
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON   ?= python3
VENV     := $(CURDIR)/.venv
BIN      := $(VENV)/bin
# The checkout, linked where Ansible looks for collections (no copy into ~/.ansible).
COLL_ROOT := $(CURDIR)/.cache/collections
COLL_LINK := $(COLL_ROOT)/ansible_collections/netfleet/tuning
# ansible-test needs a real directory named ansible_collections/netfleet/tuning, outside any other
# git checkout (it lists files with git from the enclosing repository): a synced copy.
AT_ROOT  ?= /tmp/netfleet-tuning-ansible-test/ansible_collections/netfleet/tuning
export ANSIBLE_COLLECTIONS_PATH := $(COLL_ROOT)
export PATH := $(BIN):$(PATH)

.PHONY: help deps venv link lint yamllint ansible-lint argspecs promtool sanity units ansible-test-units labtests reliability molecule compat awx test demo bench build clean

help:
	@echo "make demo   - local netlab fleet: untuned load, rollout, verify, report, teardown"
	@echo "make test   - lint + promtool + ansible-test sanity + unit tests + molecule scenarios"
	@echo "parts: deps venv lint promtool sanity units labtests reliability molecule compat awx build clean"

deps:  ## Debian packages the lab and the tests need (root); prometheus: its promtool checks extras/prometheus
	@command -v sshd >/dev/null && command -v ip >/dev/null && command -v rsync >/dev/null && command -v ss >/dev/null && \
	  command -v nft >/dev/null && command -v promtool >/dev/null && command -v prometheus-node-exporter >/dev/null || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	      openssh-server openssh-client iproute2 procps rsync python3 python3-venv ca-certificates make nftables \
	      prometheus prometheus-node-exporter; }

$(BIN)/ansible: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	$(BIN)/python tools/ansible_test_pip_bootstrap.py >/dev/null
	@touch $@

venv: $(BIN)/ansible

link:
	@mkdir -p $(dir $(COLL_LINK))
	@ln -sfn $(CURDIR) $(COLL_LINK)

lint: yamllint ansible-lint argspecs

yamllint: venv
	$(BIN)/yamllint --strict .

ansible-lint: venv link
	$(BIN)/ansible-lint --offline

argspecs: venv  ## role defaults and meta/argument_specs.yml must list the same variables
	$(BIN)/python tests/scripts/check_argument_specs.py

# The Prometheus rules in extras/: promtool's syntax check, then the unit tests of every alert and recording
# rule (extras/prometheus/tests). CI must run them, so a missing promtool is an error here (the pytest in
# tests/unit/extras skips instead).
promtool: deps
	@command -v promtool >/dev/null || { echo "promtool not found: Debian's prometheus package has it (make deps)" >&2; exit 1; }
	promtool check rules extras/prometheus/rules/*.yml
	promtool test rules extras/prometheus/tests/*.yml

# Sync the collection's files that git knows (tracked and new, not ignored) into the ansible-test tree.
# tools/ and bench/ are development scripts outside the collection (build_ignore), not its content.
sync-at:
	@rm -rf $(AT_ROOT) && mkdir -p $(AT_ROOT)
	@git ls-files -co --exclude-standard -z | grep -zvE '^(tools|bench|\.ci)/' | rsync -a --ignore-missing-args --from0 --files-from=- ./ $(AT_ROOT)/

sanity: venv sync-at
	cd $(AT_ROOT) && $(BIN)/ansible-test sanity --venv --python 3.11 --color no

units: venv link
	PYTHONPATH=$(COLL_ROOT) $(BIN)/pytest -q -p no:cacheprovider tests/unit tools/netlab/tests/unit bench/tests

# The same unit tests through ansible-test, in its own venv (slower; not part of `make test`).
ansible-test-units: venv sync-at
	cd $(AT_ROOT) && $(BIN)/ansible-test units --venv --python 3.11 --color no

# The lab's own guarantees (root): a test host cannot change the machine's sysctls.
labtests: venv deps
	NETLAB_TEST_LAB=nlt $(BIN)/pytest -q -p no:cacheprovider tools/netlab/tests/test_isolation.py

molecule: venv link deps
	@for s in $$(ls molecule | grep -v '^_' ); do \
	  echo "== molecule test -s $$s"; \
	  (cd $(CURDIR) && $(BIN)/molecule test -s $$s) || exit 1; \
	done

# Faults, bad input and nothing-lost cases against a netlab fleet (root).
reliability: venv link deps
	PYTHONPATH=$(COLL_ROOT) $(BIN)/pytest -q -p no:cacheprovider tests/lab

# The oldest and the newest ansible-core the collection supports: unit tests and a short lab run (root),
# each in a venv of its own under .cache (2.21 needs a Python 3.12 controller: pyenv's, on these machines).
COMPAT_CORES ?= 2.16.19:python3.11 2.21.5:python3.12
compat: venv link deps
	@for pair in $(COMPAT_CORES); do \
	  core=$${pair%%:*}; py=$${pair##*:}; lab=nlc$$(echo $$core | cut -d. -f2); \
	  $(PYTHON) tests/compat/run_compat.py --core $$core --python $$py --lab $$lab || exit 1; \
	done

# The AWX example project (examples/awx) as ansible-runner jobs, each in a fresh private data dir, with the
# collection installed from the built tarball (root: a netlab fleet of its own, lab nla).
awx: venv link deps
	$(BIN)/pytest -q -p no:cacheprovider tests/awx

# Two streams side by side (2 cores; --output-sync prints each stream whole when it ends):
# - test-lab, one after the other: the lab suites, then molecule. In the reliability suite the tests that run
#   `netlab load` (marker `load`) come last, so that they run once the other stream is done;
# - test-checks, one after the other: lint, the Prometheus rules, sanity, unit tests, and the short compat and
#   AWX lab runs (labs of their own, never a load).
# Each stream's own targets run one at a time (-j1); venv, link and deps are made before both.
test: venv link deps
	$(MAKE) --no-print-directory -j2 --output-sync=target test-lab test-checks

test-lab:
	$(MAKE) --no-print-directory -j1 labtests reliability molecule

test-checks:
	$(MAKE) --no-print-directory -j1 lint promtool sanity units compat awx

DEMO_ARGS ?=
demo: venv link deps
	$(BIN)/python tools/demo.py $(DEMO_ARGS)

bench: venv link deps
	$(BIN)/python bench/run.py

build: venv
	$(BIN)/ansible-galaxy collection build --force --output-path .cache/build .

clean:
	rm -rf .cache tests/output
