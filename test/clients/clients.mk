# clients.mk -- build the libpmemobj client maps into build/clients/
#
# Included by the top-level Makefile (paths relative to the repo root), or
# alone:  make -f test/clients/clients.mk clients-build
# Each map is built twice from one source: correct, and -DBUGGY as NAME-buggy.

CLIENTS_SAVED_GOAL := $(.DEFAULT_GOAL)

CLIENTS_DIR := test/clients
CLIENTS_OUT := build/clients
CLIENTS_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Iicount -I$(CLIENTS_DIR)
CLIENTS_MAPS := ctree hashmap-tx hashmap-atomic list-atomic
CLIENTS_BINS := $(foreach m,$(CLIENTS_MAPS),$(CLIENTS_OUT)/$(m) $(CLIENTS_OUT)/$(m)-buggy)
CLIENTS_DEPS := $(CLIENTS_DIR)/client.c $(CLIENTS_DIR)/client.h icount/icount.h \
	$(CLIENTS_DIR)/clients.mk

.PHONY: clients-build clients-clean

clients-build: $(CLIENTS_BINS)

$(CLIENTS_OUT)/%-buggy: $(CLIENTS_DIR)/%.c $(CLIENTS_DEPS)
	@mkdir -p $(@D)
	$(CC) $(CLIENTS_CFLAGS) -DBUGGY -o $@ $< $(CLIENTS_DIR)/client.c -lpmemobj

$(CLIENTS_OUT)/%: $(CLIENTS_DIR)/%.c $(CLIENTS_DEPS)
	@mkdir -p $(@D)
	$(CC) $(CLIENTS_CFLAGS) -o $@ $< $(CLIENTS_DIR)/client.c -lpmemobj

clients-clean:
	rm -f $(CLIENTS_BINS)

.DEFAULT_GOAL := $(CLIENTS_SAVED_GOAL)
