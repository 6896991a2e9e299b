// Placeholder: the kube-test-server benchmark follows in the next commit.
int main() { return 0; }
