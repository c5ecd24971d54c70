package runner

// CommitsAhead is commitsAhead, for the external tests.
const CommitsAhead = commitsAhead
