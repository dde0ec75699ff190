"""Reading a repository: its settings-driven view (`project`), compose files and their
services (`compose`), what an unadopted repository has (`discover`), and the one
Dockerfile parser (`dockerfile`)."""
