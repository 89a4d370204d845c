# tools/router: `make router-eval` trains the router's parameters for
# stories260K from ../shared's data and reports the held-out figures (the
# README's table); ROUTER_MODEL= / ROUTER_OUT= train them for another model.
ROUTER_MODEL ?= build/models/stories260K.flm
ROUTER_OUT   ?= $(BUILD)/router/$(notdir $(ROUTER_MODEL:.flm=.router))

.PHONY: router-eval
router-eval: $(CLI) $(ROUTER_MODEL)
	$(Q)FIELDLM=$(CLI) sh tools/router/evaluate.sh $(ROUTER_MODEL) $(ROUTER_OUT) $(FLM_SHARED) $(BUILD)/router
	@echo "parameters: $(ROUTER_OUT) (the shipped ones: tools/router/params/)"
