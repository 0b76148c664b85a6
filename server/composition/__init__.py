"""The composition root: builds the heavy parts (model, store, corpus handle,
retriever, answering service, feedback store, judge) and wires them. It imports the domain;
the domain never imports it."""
