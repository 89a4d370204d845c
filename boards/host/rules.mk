include boards/common/posix.mk

# make test converts the demo model (build/models/stories260K.flm, with
# ../shared) before tests/run.sh starts: the board scripts it runs side by
# side would otherwise each convert it on their first board build, at once.
ifeq ($(SAN),0)
TEST_DEPS += $(DEMO_MODEL)
endif
