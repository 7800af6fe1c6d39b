"""The assistant's own messaging channels, registered in `credentials.yml` by module path.

`webchat` serves the chat page and its embed script and talks socket.io with
server-signed session ids; `twilio_sms` is Rasa's Twilio channel made safe for
SMS (signature check, opt-out keywords, numbered buttons, SMS-sized replies).
"""

# Sent when the assistant fails on a message, so that even then the person is pointed to 988
# (the same words as the domain's utter_try_again).
FAILURE_REPLY = (
    "Sorry, something went wrong on my side. Please try again in a moment. "
    "If you need help urgently, call or text 988, or call 911 in an emergency."
)
