# evtree: two commands do everything on a fresh machine.
#   make demo   set up .venv if needed, install, analyse the reference trees in trees/
#   make test   set up, then run the whole suite (lint, unit tests, doctests, notebooks)
#   make lab    set up, then open JupyterLab on notebooks/
#   make bench  set up, then run the speed benchmarks in benchmarks/

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: setup demo test lint browser lab bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[all,test]"
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	@echo "== Texaco-Pennzoil (Clemen): the counteroffer is worth 4.6348; refuse \$$3B"
	$(BIN)/evtree show trees/texaco_pennzoil.yaml
	$(BIN)/evtree evaluate trees/texaco_pennzoil.yaml --exact
	$(BIN)/evtree risk trees/texaco_pennzoil.yaml --strategy optimal --strategy "liedtke_on_3=accept 3" --exact
	@echo
	@echo "== Bilateral talks with North Korea: the essays' tree"
	$(BIN)/evtree show trees/korea_talks.yaml
	$(BIN)/evtree evaluate trees/korea_talks.yaml --exact
	$(BIN)/evtree evaluate trees/korea_talks.yaml --symbolic
	@echo
	@echo "== Where talks stop being the better choice: exact thresholds"
	$(BIN)/evtree threshold trees/korea_talks.yaml --param p_defect
	$(BIN)/evtree threshold trees/korea_talks.yaml --param p_flout
	$(BIN)/evtree tornado trees/korea_talks.yaml
	$(BIN)/evtree twoway trees/korea_talks.yaml --params p_flout p_defect --points 101
	@echo
	@echo "== The essays' claims, proved or refuted over every parameter value"
	$(BIN)/evtree check trees/korea_talks.yaml
	@echo
	@echo "== EVPI of north_response: foreseeing the outcome of talks (in this tree, allied defection) before deciding"
	$(BIN)/evtree voi trees/korea_talks.yaml --node north_response --exact
	$(BIN)/evtree voi trees/korea_talks.yaml --node north_response --symbolic
	@echo
	@echo "== The essays on a faithful model: a strategic North, allies moved by talks, Drezner's alternatives"
	$(BIN)/evtree show trees/korea_negotiation.yaml
	@echo "-- Drezner's reading (the defaults): talks -54/5 against no talks -5"
	$(BIN)/evtree solve trees/korea_negotiation.yaml --exact
	@echo "-- Bordone & Chang's reading: talks reassure the allies (q_soft_talks = 2/5)"
	$(BIN)/evtree solve trees/korea_negotiation.yaml --exact --set q_soft_talks=2/5
	@echo "-- a likely sincere North (p_sincere = 1/2): both types offer, the U.S. accepts"
	$(BIN)/evtree solve trees/korea_negotiation.yaml --exact --set p_sincere=1/2
	$(BIN)/evtree check trees/korea_negotiation.yaml
	@echo "-- the equilibrium claims, settled exactly in notebooks/listening_gives_up_nothing.ipynb:"
	@echo "   listening gives up nothing: refuted (-54/5 < -5 at Drezner's reading); proven, by construction,"
	@echo "     exactly when talks are free and leave the allies where they were; one way: q_soft_talks <= 184/355"
	@echo "   the power to say no: worth 16/5 at the table (-54/5 against -14 if the U.S. must accept);"
	@echo "     0 when p_sincere >= mu*; a U.S. known to refuse pretences gets 9"
	@echo "   what talks reveal: worth -99/5 at the defaults; proven never positive where F >= A"
	@echo "   the best of a rotten set: only for 24/55 < q_soft_talks <= 184/355 (other numbers at the defaults)"
	@echo
	@echo "== Probabilistic sensitivity: every reading of the essays at once"
	$(BIN)/evtree psa trees/korea_talks.yaml --draws 100000 --seed 1 --no-progress
	$(BIN)/evtree evppi trees/korea_talks.yaml --draws 100000 --seed 1 --params north_response --params v_soft,l_defect --params v_deal --no-progress
	@echo
	@echo "== Pictures and the shareable report, in build/"
	@mkdir -p build
	$(BIN)/evtree render trees/texaco_pennzoil.yaml --exact -o build/texaco_pennzoil.svg
	$(BIN)/evtree render trees/korea_talks.yaml -o build/korea_talks.svg
	$(BIN)/evtree report trees/korea_talks.yaml -o build/korea_talks.html

lint: setup
	$(BIN)/ruff check evtree tests benchmarks
	$(BIN)/lint-imports

test: setup lint browser
	EVTREE_REQUIRE_ALL_DEPS=1 $(BIN)/python -m pytest -q tests evtree

# The report test opens pages in a real headless Chromium, from Debian's packages.
browser:
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

# as root (a container), Jupyter refuses to start without --allow-root
lab: setup
	$(BIN)/jupyter lab notebooks/ $$( [ "$$(id -u)" = 0 ] && echo --allow-root )

bench: setup
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) build *.egg-info
