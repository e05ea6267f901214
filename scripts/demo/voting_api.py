"""The demo's gRPC API, shared by the voting server and the web frontend.

There is no protoc on the machine, so messages are JSON documents carried as the gRPC message
bytes, and the service is registered with generic handlers. On the wire it is ordinary gRPC
(HTTP/2, content-type application/grpc, length-prefixed messages, grpc-status in trailers),
which is all the proxies see.
"""
import json

SERVICE = "emojivoto.v1.VotingService"
VOTE = f"/{SERVICE}/Vote"
RESULTS = f"/{SERVICE}/Results"

# The emoji a vote can name (shortcodes, so that logs stay ASCII). As in Linkerd's emojivoto,
# votes for the doughnut fail: that is the demo's injected error.
EMOJI = ["100", "bacon", "balloon", "beer", "burrito", "champagne", "clapping", "doughnut",
         "fire", "ghost", "joy", "rocket", "star-struck", "sunglasses", "taco", "unicorn"]
FAILING_EMOJI = "doughnut"


def encode(message):
    return json.dumps(message, separators=(",", ":")).encode()


def decode(data):
    return json.loads(data.decode()) if data else {}
